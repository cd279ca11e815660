"""``dlterm bench``: Keras against each exported runtime on the same run.

For each variant: status, file size, batch-1 latency (median and p95), batch-32
throughput, the task metric on the test split, and the maximum error against Keras (from
the export's verification). Keras is timed through a ``tf.function`` (its fastest path;
``model.predict`` is 10-100x slower per sample). Each call is one whole inference: for
seq2seq, the encoder and every decoder step of a greedy decoding.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable

from dlterm import datasets
from dlterm.errors import DltermError
from dlterm.export import QUANTIZATIONS, export_run, exports_of, metric_sample, rows
from dlterm.fileio import write_json
from dlterm.runstore import BENCH_JSON, Run
from dlterm.tasks import get_task
from dlterm_edge.bench import latency

# What bench exports when missing; other variants (int8-full, quantized ONNX) are timed
# once `dlterm export` made them.
BENCH_EXPORTS = [("onnx", "none"), ("tflite", "none"), ("tflite", "float16"), ("tflite", "dynamic"), ("tflite", "int8")]


def _throughput(fn: Callable[[Any], Any], batch: Any, rounds: int = 5) -> float:
    fn(batch)
    size = len(next(iter(batch.values()))) if isinstance(batch, dict) else len(batch)
    t0 = time.perf_counter()
    for _ in range(rounds):
        fn(batch)
    return rounds * size / (time.perf_counter() - t0)


def bench_run(run: Run, repeats: int = 100, progress: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    have = {(r["format"], r["quantize"]) for r in exports_of(run) if r.get("verified")}
    missing = [v for v in BENCH_EXPORTS if v not in have]
    for fmt in ("onnx", "tflite"):  # what is still missing; a failed variant is left out of the timings
        quants = [q for f, q in missing if f == fmt]
        if quants:
            export_run(run, [fmt], quants, progress=progress)
    from dlterm.trained_model import keras_predictor
    from dlterm_edge import load

    keras, _ = keras_predictor(run)
    cfg = run.meta["config"]
    bundle = datasets.load(run.meta["dataset"], cfg["data"], run.seed)
    x_test, y_test = metric_sample(bundle)
    x1, x32 = rows(x_test, slice(0, 1)), rows(x_test, slice(0, 32))
    keras_test = keras.outputs(x_test)
    rows_out = []
    med, p95 = latency(lambda: keras.outputs(x1), repeats)
    metric, keras_value, _ = get_task(run.meta["task"]).compare(bundle, keras_test, keras_test, y_test)
    rows_out.append({"variant": "keras (tf.function)", "status": "ok", "size_bytes": os.path.getsize(run.checkpoint("best")),
                     "latency_ms_median": med, "latency_ms_p95": p95,
                     "throughput_batch32": _throughput(keras.outputs, x32), "metric": metric,
                     "metric_value": keras_value, "max_abs_error": 0.0})
    for record in sorted(exports_of(run), key=lambda r: (r["format"] != "onnx", QUANTIZATIONS.index(r["quantize"]))):
        if record.get("status") == "failed":
            continue  # nothing was written: nothing to time
        label = "onnx (fp32)" if (record["format"], record["quantize"]) == ("onnx", "none") else \
            f"{record['format']} ({record['quantize']})"
        if progress:
            progress(f"timing {label}")
        try:
            predictor = load(record["path"])
            med, p95 = latency(lambda p=predictor: p.outputs(x1), repeats)
            rows_out.append({"variant": label, "status": "ok" if record.get("verified") else "unverified",
                             "size_bytes": record["size_bytes"], "latency_ms_median": med, "latency_ms_p95": p95,
                             "throughput_batch32": _throughput(predictor.outputs, x32), "metric": record["metric"],
                             "metric_value": record["export_metric"], "max_abs_error": record["max_abs_error"]})
        except Exception as e:  # noqa: BLE001 - one broken variant must not hide the others
            rows_out.append({"variant": label, "status": f"error: {type(e).__name__}: {e}"})
    _save(run, rows_out, repeats)
    return rows_out


def _save(run: Run, rows_out: list[dict[str, Any]], repeats: int) -> None:
    """Keep the measurement in the run (bench.json) for `dlterm compare` and reports; a run
    that is busy or read-only keeps its previous one: the table printed is the result."""
    try:
        with run.writing("benchmarking"):
            write_json(run.file(BENCH_JSON), {"measured": time.time(), "repeats": repeats, "rows": rows_out})
    except (DltermError, OSError):
        pass
