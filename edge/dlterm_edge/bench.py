"""``dlterm-edge bench``: time every exported variant on the device, from its files alone.

One row per variant (a bundle's ``model*.onnx`` / ``model*.tflite``, or a single file):
status (ok, or failed with the reason: one broken variant never aborts the table), size,
batch-1 latency p50/p95, throughput, and the task metric on the bundle's ``sample.npz``
(accuracy, RMSE in original units, character accuracy of greedy decoding, bits per
character) with the largest difference from the Keras outputs recorded at export. A
single file without a sample is timed on zero inputs of its declared shapes (no metric).
Each timed call is one whole inference: for seq2seq, the encoder and every decoder step.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from dlterm_edge.bundle import MODEL_NAME, SAMPLE, Variant, open_bundle
from dlterm_edge.errors import InferenceError
from dlterm_edge.metrics import HIGHER_IS_BETTER, task_metric
from dlterm_edge.runtimes import runtime_versions

MAX_SAMPLE_ROWS = 2000  # LiteRT runs one row at a time: keep the metric pass short
MAX_SAMPLE_BYTES = 512 * 1024 * 1024
THROUGHPUT_BATCH = 32


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {"host": platform.node(), "system": platform.system(), "release": platform.release(),
            "machine": platform.machine(), "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "python": platform.python_version()}


def variants_of(path: Path) -> tuple[list[Variant], Path | None]:
    """The variants to time and the folder holding ``sample.npz`` (None for a single file)."""
    if path.is_dir():
        return open_bundle(path), path
    if not path.is_file():
        raise InferenceError(f"model file or bundle not found: {path}")
    match = MODEL_NAME.match(path.name)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("onnx", "tflite"):
        raise InferenceError(f"{path.name}: expected a .onnx or .tflite file, or a bundle folder")
    return [Variant(fmt, (match.group("quant") if match else None) or "none", {"model": path})], None


def load_sample(folder: Path, meta: dict[str, Any]) -> dict[str, np.ndarray]:
    """The bundle's test sample, checked: the model's inputs, ``y`` (and ``last`` for
    forecasting), same number of rows, capped at MAX_SAMPLE_ROWS."""
    path = folder / SAMPLE
    if path.stat().st_size > MAX_SAMPLE_BYTES:
        raise InferenceError(f"{path} is larger than {MAX_SAMPLE_BYTES // 2**20} MB")
    needed = input_names(meta) + ["y"] + (["last"] if meta["task"] == "sequence-forecasting" else [])
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in needed if k not in npz.files]
            if missing:
                raise InferenceError(f"{path} lacks the array(s) {', '.join(missing)}")
            sample = {k: npz[k][:MAX_SAMPLE_ROWS] for k in set(needed) | ({"expected"} & set(npz.files))}
    except (OSError, ValueError) as e:
        raise InferenceError(f"{path} is not a readable .npz sample: {str(e).splitlines()[0][:160]}") from None
    rows = {len(v) for v in sample.values() if v.ndim}
    if len(rows) != 1 or any(v.dtype.kind not in "biuf" for v in sample.values()):
        raise InferenceError(f"{path}: the arrays must be numeric with the same number of rows")
    return sample


def input_names(meta: dict[str, Any]) -> list[str]:
    """The preprocessed inputs ``Predictor.outputs`` takes (seq2seq: the encoder's source)."""
    if meta.get("parts"):
        return ["source"]
    return [i["name"] for i in meta["inputs"]]


def model_inputs(meta: dict[str, Any], arrays: dict[str, np.ndarray], rows: slice) -> Any:
    names = input_names(meta)
    return arrays[names[0]][rows] if len(names) == 1 else {n: arrays[n][rows] for n in names}


def zero_inputs(meta: dict[str, Any]) -> dict[str, np.ndarray]:
    """One row of zeros per input, from the declared shapes (for files without a sample)."""
    tensors = meta["parts"]["encoder"]["inputs"] if meta.get("parts") else meta["inputs"]
    out = {}
    for t in tensors:
        if not t.get("shape") or any(s is None for s in t["shape"][1:]):
            raise InferenceError(f"input {t['name']!r} has no fixed shape; bench a bundle with a sample instead")
        out[t["name"]] = np.zeros([1, *t["shape"][1:]], dtype=t.get("dtype", "float32"))
    return out


def latency(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Median and 95th-percentile milliseconds of ``fn()`` over ``repeats`` calls, after a warm-up
    (dlterm's own benchmark times Keras with it too, so every row is timed alike)."""
    for _ in range(min(10, repeats)):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e3), float(np.percentile(times, 95) * 1e3)


def bench_variant(variant: Variant, folder: Path | None, repeats: int, fallback: dict[str, Any] | None) -> dict[str, Any]:
    """Time one variant; raises on any failure (the caller records it as the row's reason)."""
    from dlterm_edge import load_variant

    predictor = load_variant(variant, fallback)
    meta = predictor.metadata
    sample = load_sample(folder, meta) if folder is not None and (folder / SAMPLE).is_file() else None
    arrays = sample if sample is not None else zero_inputs(meta)
    one = model_inputs(meta, arrays, slice(0, 1))
    p50, p95 = latency(lambda: predictor.outputs(one), repeats)
    batch = model_inputs(meta, arrays, slice(0, THROUGHPUT_BATCH))
    size = len(next(iter(batch.values())) if isinstance(batch, dict) else batch)
    t0 = time.perf_counter()
    predictor.outputs(batch)
    row = {"size_bytes": variant.size_bytes, "latency_ms_p50": p50, "latency_ms_p95": p95,
           "throughput_per_s": size / (time.perf_counter() - t0), "metric": None, "metric_value": None,
           "samples": 0, "max_abs_diff_vs_keras": None}
    if sample is not None:
        out = predictor.outputs(model_inputs(meta, sample, slice(None)))
        name, value = task_metric(meta["task"], meta["preprocessing"], sample["y"], out, sample.get("last"))
        row.update(metric=name, metric_value=value, samples=int(len(sample["y"])))
        expected = sample.get("expected")
        if expected is not None and expected.shape == out.shape and meta["task"] != "sequence-to-sequence":
            row["max_abs_diff_vs_keras"] = float(np.max(np.abs(out - expected))) if out.size else 0.0
    return row


def bench(path: str | Path, formats: list[str] | None = None, repeats: int = 100,
          progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Benchmark a bundle or a model file -> {"machine", "runtimes", "rows"}."""
    from dlterm_edge import bundle_metadata, variant_name

    path = Path(path)
    variants, folder = variants_of(path)
    if formats:
        known = [variant_name(v) for v in variants]
        unknown = [f for f in formats if f not in known]
        if unknown:
            raise InferenceError(f"no variant {unknown[0]!r} here (available: {', '.join(known)})")
        variants = [v for v in variants if variant_name(v) in formats]
    fallback = bundle_metadata(folder) if folder is not None else None
    rows = []
    for variant in variants:
        if progress:
            progress(f"timing {variant_name(variant)}")
        row = {"variant": variant_name(variant), "files": [p.name for p in variant.files.values()]}
        try:
            row.update(status="ok", reason="", **bench_variant(variant, folder, repeats, fallback))
        except Exception as e:  # noqa: BLE001 - one broken variant must not hide the others
            reason = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
            row.update(status="failed", reason=reason if isinstance(e, InferenceError) else f"{type(e).__name__}: {reason}")
        rows.append(row)
    return {"model": str(path), "machine": machine(), "runtimes": runtime_versions(), "repeats": repeats, "rows": rows}


def below(row: dict[str, Any], threshold: float) -> bool:
    """Whether a row misses ``threshold``: a failed variant, or a metric worse than it
    (below it for accuracies, above it for RMSE and bits per character)."""
    if row["status"] != "ok" or row.get("metric") is None:
        return True
    if HIGHER_IS_BETTER[row["metric"]]:
        return row["metric_value"] < threshold
    return row["metric_value"] > threshold


CSV_FIELDS = ("variant", "status", "reason", "size_bytes", "latency_ms_p50", "latency_ms_p95", "throughput_per_s",
              "metric", "metric_value", "samples", "max_abs_diff_vs_keras")


def to_csv(result: dict[str, Any]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in result["rows"]:
        writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in CSV_FIELDS})
    return buffer.getvalue()


def to_table(result: dict[str, Any]) -> str:
    """The human-readable report: a header naming the machine and runtimes, then one row per variant."""
    m, r = result["machine"], result["runtimes"]
    lines = [f"machine: {m['system']} {m['release']} {m['machine']}, {m['cpus']} CPUs, Python {m['python']}",
             "runtimes: " + ", ".join(f"{k} {v}" for k, v in r.items()),
             f"model: {result['model']} (batch-1 latency over {result['repeats']} calls)", ""]
    header = ("variant", "status", "size", "p50 ms", "p95 ms", "per s", "test metric", "vs keras")
    table = [header]
    for row in result["rows"]:
        if row["status"] != "ok":
            table.append((row["variant"], f"failed: {row['reason']}", "", "", "", "", "", ""))
            continue
        metric = f"{row['metric']} {row['metric_value']:.4g} (n={row['samples']})" if row["metric"] else "-"
        diff = f"{row['max_abs_diff_vs_keras']:.1e}" if row["max_abs_diff_vs_keras"] is not None else "-"
        table.append((row["variant"], "ok", f"{row['size_bytes'] / 1e6:.2f} MB", f"{row['latency_ms_p50']:.3f}",
                      f"{row['latency_ms_p95']:.3f}", f"{row['throughput_per_s']:,.0f}", metric, diff))
    widths = [max(len(r[i]) for r in table if not r[1].startswith("failed")) for i in range(len(header))]
    for r in table:
        if r[1].startswith("failed"):
            lines.append(f"{r[0]:<{widths[0]}}  {r[1]}")
        else:
            lines.append("  ".join(f"{c:<{w}}" for c, w in zip(r, widths)).rstrip())
    return "\n".join(lines) + "\n"
