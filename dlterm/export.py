"""Export a run's model to ONNX and TFLite, verified against Keras before it lands.

* ONNX: tf2onnx with a dynamic batch axis; metadata in the file's ``metadata_props``: the
  full JSON under ``dlterm`` and flat keys other tools read (labels, task, image size...).
  Quantized with onnxruntime's own tooling (:mod:`dlterm.onnx_quantize`): dynamic, and
  int8 as static QDQ calibrated on the run's training split.
* TFLite: builtin ops only, converted from a ``tf.function`` traced at batch 1 with fixed
  shapes (the Keras-model converter fails on recurrent layers with a dynamic batch); the
  cell clip the converter adds to fused LSTMs is removed (:mod:`dlterm.tflite_lstm`).
  Quantization: none, float16, dynamic (dynamic-range), int8 (calibrated on the run's own
  training data; float input and output) and int8-full (int8 input and output too, their
  scale and zero point in the metadata). Metadata inside the file (a zip holding
  ``metadata.json`` appended to the flatbuffer; the stock interpreter ignores it) and,
  for older readers, beside it as ``<file>.json``.

A plugin with an ``inference_parts`` hook (seq2seq: encoder + one decoder step) exports
one file per part, ``model.<part>.<format>``; each file's metadata names all the parts.

Each variant is written to temporary files, checked (``onnx.checker`` for ONNX), and each
part is run on exactly the inputs its Keras twin saw on validation samples (recorded
while the Keras predictor ran, decoder steps included), then judged by
:mod:`dlterm.export_policy`. A variant that fails (conversion error or policy) lands no
file and is recorded as failed; the others go on. Results are kept in ``exports.json``.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

import numpy as np

from dlterm import datasets
from dlterm.errors import DltermError
from dlterm.export_policy import failed_record, judge
from dlterm.export_variants import FORMAT_QUANTIZATIONS, FORMATS, QUANTIZATIONS
from dlterm.fileio import atomic_path, write_json
from dlterm.runstore import EXPORTS_DIR, EXPORTS_JSON, Run
from dlterm.tasks import get_task
from dlterm.trained_model import export_metadata, keras_predictor
from dlterm_edge.metadata import METADATA_KEY, embed_tflite_metadata, flat_onnx_properties

CALIBRATED = {"onnx": ("int8",), "tflite": ("int8", "int8-full")}  # calibrated on training samples
VERIFY_SAMPLES = 128
CALIBRATION_SAMPLES = 200
METRIC_SAMPLES = 2000


def exportable(run: Run) -> None:
    status = run.status
    if status == "running":
        raise DltermError(f"run {run.id} is still training", "wait for it to finish (or stop it) before exporting")
    if not run.checkpoint("best").is_file():
        raise DltermError(f"run {run.id} ({status}) has no saved model to export", "train it for at least one epoch")


def file_names(parts: dict[str, Any], fmt: str, quantize: str) -> dict[str, str]:
    """``model.onnx``, ``model.int8.tflite``; with parts ``model.encoder.onnx``..."""
    quant = "" if quantize == "none" else f".{quantize}"
    return {name: f"model{'' if name == 'model' else '.' + name}{quant}.{fmt}" for name in parts}


class Recorder:
    """Wraps a part's backend and keeps the inputs and outputs of every call: the real
    inputs each part sees (the decoder's tokens and states too) for verification and for
    int8 calibration."""

    def __init__(self, backend: Any):
        self.backend = backend
        self.calls: list[tuple[dict[str, np.ndarray], np.ndarray]] = []

    def __call__(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        out = self.backend(inputs)
        self.calls.append((inputs, out))
        return out


def record_calls(predictor: Any, x: Any) -> dict[str, list[tuple[dict[str, np.ndarray], np.ndarray]]]:
    """Run ``predictor.outputs(x)`` and return each part's calls."""
    from dlterm_edge.predictor import Predictor

    recorders = {name: Recorder(b) for name, b in predictor.backends.items()}
    Predictor(recorders, predictor.metadata).outputs(x)
    return {name: r.calls for name, r in recorders.items()}


def export_run(run: Run, formats: list[str], quantizations: list[str], opset: int = 17,
               progress: Any = None, max_loss: float | None = None,
               float_layers: list[str] | None = None) -> list[dict[str, Any]]:
    """Export and verify each variant (see :func:`variants`); returns one result per
    variant, failed ones included (``verified`` False, a ``reason``, no files): a failure
    of one variant never stops the others. ``max_loss``: see :mod:`dlterm.export_policy`;
    ``float_layers``: tensors the TFLite int8 variant keeps in float (:mod:`dlterm.int8_layers`)."""
    for f in formats:
        if f not in FORMATS:
            raise DltermError(f"unknown export format {f!r}", f"choose {', '.join(FORMATS)} or all")
    for q in quantizations:
        if q not in QUANTIZATIONS:
            raise DltermError(f"unknown quantization {q!r}", f"choose one of: {', '.join(QUANTIZATIONS)}")
    if max_loss is not None and not 0 <= max_loss < 1e6:
        raise DltermError(f"--max-loss {max_loss} is out of range", "give a fraction such as 0.01 (1 point) or 0.1 (10%)")
    if not 13 <= opset <= 21:
        raise DltermError(f"ONNX opset {opset} is not supported here", "choose an opset from 13 to 21 (default 17)")
    exportable(run)
    # One writer per run: a second export (or a training) can not sweep this one's files.
    with run.writing("exporting"):
        try:
            return _export_held(run, formats, quantizations, opset, progress, max_loss, float_layers or [])
        except OSError as e:
            raise DltermError(f"cannot write the export into {run.path / EXPORTS_DIR}: {e.strerror or e}",
                              "free disk space or fix the folder's permissions, then export again", exit_code=1) from None


class _Rejected(Exception):
    """Raised inside the atomic writes of a variant that failed verification: its temporary
    files are removed and nothing lands."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def variants(formats: list[str], quantizations: list[str]) -> list[tuple[str, str]]:
    """The (format, quantization) pairs to export, in a fixed order. ONNX float32 is always
    made when ONNX is asked for (it is what the ONNX quantizers start from); a quantization
    a format does not offer is skipped for that format."""
    jobs = []
    for fmt in FORMATS:
        if fmt not in formats:
            continue
        wanted = [q for q in QUANTIZATIONS if q in quantizations and q in FORMAT_QUANTIZATIONS[fmt]]
        if fmt == "onnx" and "none" not in wanted:
            wanted.insert(0, "none")
        jobs += [(fmt, q) for q in wanted]
    return jobs


def _export_held(run: Run, formats: list[str], quantizations: list[str], opset: int, progress: Any,
                 max_loss: float | None, float_layers: list[str]) -> list[dict[str, Any]]:
    keras, parts = keras_predictor(run)
    cfg = run.meta["config"]
    task = get_task(run.meta["task"])
    bundle = datasets.load(run.meta["dataset"], cfg["data"], run.seed)
    x_test, y_test = metric_sample(bundle)
    reference = record_calls(keras, rows(bundle.x_val, slice(0, VERIFY_SAMPLES)))
    keras_test = keras.outputs(x_test)
    calibration: dict[str, list] | None = None
    onnx_fp32: dict[str, bytes] = {}  # each part's float32 ONNX, what the ONNX quantizers start from
    out_dir = run.folder(EXPORTS_DIR)  # never a link; what a killed export left was swept by run.writing
    results = []
    float32_failed = {f: r.get("status") == "failed" for r in exports_of(run) if r["quantize"] == "none" for f in [r["format"]]}
    for fmt, quant in variants(formats, quantizations):
        if progress:
            progress(f"exporting {fmt} ({quant})")
        t0 = time.perf_counter()
        names = file_names(parts, fmt, quant)
        meta = export_metadata(run, parts, quant, names)
        if quant in CALIBRATED.get(fmt, ()) and calibration is None:  # the inputs each part sees on training samples
            rng = np.random.default_rng(0)
            pick = rng.choice(len(bundle.y_train), size=min(CALIBRATION_SAMPLES, len(bundle.y_train)), replace=False)
            calibration = record_calls(keras, rows(bundle.x_train, np.sort(pick)))
        measured: dict[str, Any] = {}
        try:
            with contextlib.ExitStack() as stack:
                tmps = {name: stack.enter_context(atomic_path(out_dir / names[name], suffix="." + fmt)) for name in parts}
                for name, model in parts.items():
                    part_meta = {**meta, "part": name} if len(parts) > 1 else meta
                    calls = (calibration or {}).get(name)
                    if fmt == "onnx":
                        if name not in onnx_fp32:
                            onnx_fp32[name] = _to_onnx(model, opset)
                        _write_onnx(onnx_fp32[name], tmps[name], part_meta, quant, calls)
                    else:
                        _to_tflite(model, tmps[name], quant, calls, float_layers if quant == "int8" else [])
                        _add_quantization(meta, name, tmps[name])
                        # the metadata inside the file: one copied file is enough on a device
                        tmps[name].write_bytes(embed_tflite_metadata(tmps[name].read_bytes(), part_meta))
                result = _verify(tmps, fmt, meta, reference, keras_test, x_test, y_test, bundle, run)
                measured = dict(result)
                ok, reason = judge(quant, result["max_abs_error"], result["keras_metric"], result["export_metric"],
                                   result["metric"], task.higher_is_better, max_loss, float32_failed.get(fmt, False))
                if not ok and fmt == "tflite" and quant in CALIBRATED["tflite"] and not float32_failed.get(fmt):
                    reason = "; ".join(filter(None, [reason, _diagnose_int8(parts, calibration or {})]))
                if not ok:
                    raise _Rejected(reason)
                if fmt == "tflite" and quant == "int8" and float_layers:
                    result["float_layers"] = list(float_layers)
                result.update(format=fmt, quantize=quant, status="verified", path=str(out_dir / names[next(iter(parts))]),
                              files=[str(out_dir / names[n]) for n in parts],
                              size_bytes=sum(t.stat().st_size for t in tmps.values()),
                              sha256={names[n]: file_sha256(tmps[n]) for n in parts},
                              seconds=round(time.perf_counter() - t0, 2), created=time.time(), verified=True)
                if fmt == "tflite":  # the sidecars land before the models, so a model is never without one
                    for name in parts:
                        write_json(str(out_dir / names[name]) + ".json",
                                   {**meta, "part": name} if len(parts) > 1 else meta)
        except OSError:
            raise  # a full disk or a permission: the whole export stops (export_run says so)
        except _Rejected as e:
            result = failed_record(fmt, quant, e.reason, **measured, seconds=round(time.perf_counter() - t0, 2),
                                   created=time.time())
        except Exception as e:  # noqa: BLE001 - a converter's failure fails this variant, not the others
            reason = e.message if isinstance(e, DltermError) else f"{type(e).__name__}: {_first_line(e)}"
            result = failed_record(fmt, quant, f"conversion failed: {reason}", seconds=round(time.perf_counter() - t0, 2),
                                   created=time.time())
        if quant == "none":
            float32_failed[fmt] = not result["verified"]
        results.append(result)
        _record(run, result)
    return results


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0][:200] if text else ""


def rows(x: Any, index: Any) -> Any:
    """Rows of an input batch: an array, or a dict of arrays for several inputs."""
    return {k: v[index] for k, v in x.items()} if isinstance(x, dict) else x[index]


def metric_sample(bundle: Any) -> tuple[Any, np.ndarray]:
    """The test split, capped at METRIC_SAMPLES rows (TFLite runs one sample at a time)."""
    n = min(len(bundle.y_test), METRIC_SAMPLES)
    return rows(bundle.x_test, slice(0, n)), bundle.y_test[:n]


def _record(run: Run, result: dict[str, Any]) -> None:
    records = [r for r in exports_of(run) if (r["format"], r["quantize"]) != (result["format"], result["quantize"])]
    write_json(run.file(EXPORTS_JSON), records + [result])


RECORD_NUMBERS = ("max_abs_error", "keras_metric", "export_metric", "size_bytes")


def exports_of(run: Run) -> list[dict[str, Any]]:
    """The run's export records that are well formed (exports.json is untrusted input);
    each record's files are taken as names inside the run's exports folder, never as
    paths from the file. A failed variant's record has a ``reason`` and no files."""
    out = []
    for r in run.record(EXPORTS_JSON, list) or []:
        if not (isinstance(r, dict) and r.get("format") in FORMATS and r.get("quantize") in FORMAT_QUANTIZATIONS[r["format"]]):
            continue
        if r.get("status") == "failed":
            if isinstance(r.get("reason"), str):
                out.append({**r, "verified": False, "path": "", "files": []})
            continue
        if not (isinstance(r.get("path"), str) and isinstance(r.get("metric"), str)
                and all(isinstance(r.get(k), (int, float)) and not isinstance(r.get(k), bool) for k in RECORD_NUMBERS)):
            continue
        files = r.get("files") if isinstance(r.get("files"), list) else [r["path"]]
        names = [Path(f).name for f in files if isinstance(f, str)]
        if not names or any(not n.startswith("model") or n.startswith(".") for n in names):
            continue
        out.append({**r, "path": str(run.path / EXPORTS_DIR / Path(r["path"]).name),
                    "files": [str(run.path / EXPORTS_DIR / n) for n in names]})
    return out


def file_sha256(path: Path) -> str:
    """The file's SHA-256 (recorded with each export, so a bundle copies only files that
    are still the ones verified)."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _to_onnx(model: Any, opset: int) -> bytes:
    """The float32 ONNX model (serialized), dynamic batch, without metadata yet."""
    import tf2onnx

    from dlterm.keras_env import quiet_native_output, tf

    signature = tuple(tf.TensorSpec([None, *t.shape[1:]], t.dtype, name=t.name.split(":")[0]) for t in model.inputs)
    with quiet_native_output((1, 2)):
        proto, _ = tf2onnx.convert.from_keras(model, input_signature=signature, opset=opset)
    return proto.SerializeToString()


def _write_onnx(fp32: bytes, path: Path, meta: dict[str, Any], quantize: str,
                calibration: list[tuple[dict[str, np.ndarray], np.ndarray]] | None) -> None:
    """The ONNX variant at ``path``: float32, or quantized with onnxruntime's own tooling
    (see :mod:`dlterm.onnx_quantize`), then the metadata set and the model checked."""
    import json

    import onnx

    if quantize == "none":
        path.write_bytes(fp32)
    else:
        from dlterm.onnx_quantize import quantize_onnx

        quantize_onnx(fp32, path, quantize, calibration)
    proto = onnx.load(str(path))
    # the full JSON for dlterm, and flat keys (labels, image size, normalization...) for other tools
    del proto.metadata_props[:]
    onnx.helper.set_model_props(proto, {METADATA_KEY: json.dumps(meta), **flat_onnx_properties(meta)})
    onnx.checker.check_model(proto)
    path.write_bytes(proto.SerializeToString())


def unrolled(model: Any) -> Any:
    """The same model with its recurrent layers unrolled over the (fixed) window.

    TensorFlow 2.21's int8 calibrator crashes (segfault) on GRU's fused op and quantizes
    the fused LSTM badly; unrolled, the cells are plain matmuls that quantize like a CNN.
    """
    from dlterm.keras_env import keras

    config = model.get_config()
    changed = False
    for layer in config["layers"]:
        inner = layer["config"].get("layer", {}).get("config", {}) if layer["class_name"] == "Bidirectional" else None
        for cfg in filter(None, [layer["config"] if layer["class_name"] in ("LSTM", "GRU", "SimpleRNN") else None, inner]):
            cfg["unroll"] = True
            changed = True
    if not changed:
        return model
    clone = keras.Model.from_config(config)
    clone.set_weights(model.get_weights())
    return clone


def _diagnose_int8(parts: dict[str, Any], calibration: dict[str, list]) -> str:
    """Which layers lose most under int8 (see :mod:`dlterm.int8_layers`), as a sentence;
    empty when the debugger cannot tell."""
    from dlterm.int8_layers import describe_layers, worst_layers

    found = []
    for name, model in parts.items():
        try:
            found += worst_layers(_converter(unrolled(model), "int8", calibration.get(name), int8_only=False))
        except Exception:  # noqa: BLE001 - a diagnosis must never hide the failure it explains
            continue
    return describe_layers(sorted(found, key=lambda item: -item[1])[:3])


def _to_tflite(model: Any, path: Path, quantize: str, calibration: list[tuple[dict[str, np.ndarray], np.ndarray]] | None,
               float_layers: list[str] | None = None) -> None:
    """Convert at batch 1 with fixed shapes; int8 calibrates on ``calibration``: recorded
    (inputs, output) calls of this part on training samples.

    none, float16 and dynamic keep TFLite's fused recurrent ops, with the cell clip the
    converter adds to fused LSTMs removed (:mod:`dlterm.tflite_lstm`: it made trained
    LSTMs drift from Keras by 2e-2). int8 and int8-full convert the recurrent layers
    unrolled (see :func:`unrolled`); int8 tries int8-only kernels first, then mixed
    kernels, then the fused layers; int8-full allows int8 kernels only (unrolled, then
    fused) and makes the input and output int8 too.
    """
    if quantize in ("none", "float16", "dynamic"):
        from dlterm.tflite_lstm import without_cell_clip

        data, _ = without_cell_clip(_convert(model, quantize, None, int8_only=False))
        path.write_bytes(data)
        return
    candidate = unrolled(model)
    if float_layers:  # int8 with the named tensors in float: mixed kernels by definition
        from dlterm.int8_layers import convert_with_float_layers

        data = convert_with_float_layers(_converter(candidate, quantize, calibration, int8_only=False), float_layers)
        _check_loads(data)
        path.write_bytes(data)
        return
    attempts = {"int8": [(candidate, True), (candidate, False), (model, False)],
                "int8-full": [(candidate, True), (model, True)]}[quantize]
    last_error: Exception | None = None
    for converted, int8_only in attempts:  # the first file LiteRT can load wins
        try:
            data = _convert(converted, quantize, calibration, int8_only)
            _check_loads(data)
        except Exception as e:  # noqa: BLE001 - try the next way
            last_error = e
            continue
        path.write_bytes(data)
        return
    raise DltermError(f"TFLite {quantize} conversion of {model.name} failed: {type(last_error).__name__}: "
                      f"{_first_line(last_error)[:160]}",
                      "export with --quantize dynamic or float16 instead", exit_code=1)


def _add_quantization(meta: dict[str, Any], part: str, path: Path) -> None:
    """Record an integer file's input/output quantization (dtype, scale, zero point) in the
    metadata of the part, as LiteRT reports it: what a device must apply to feed it."""
    from ai_edge_litert.interpreter import Interpreter

    from dlterm.keras_env import quiet_native_output

    with quiet_native_output((1, 2)):
        interpreter = Interpreter(model_path=str(path))
    details = {"inputs": interpreter.get_input_details(), "outputs": interpreter.get_output_details()}
    target = meta["parts"][part] if "parts" in meta and meta.get("parts") else meta
    for side, tensors in (("inputs", target.get("inputs") or []), ("outputs", target.get("outputs") or [])):
        for tensor in tensors:
            found = _tflite_detail(details[side], tensor["name"])
            if found is None or np.dtype(found["dtype"]) not in (np.int8, np.uint8):
                continue
            scale, zero = found["quantization"]
            tensor["quantization"] = {"dtype": np.dtype(found["dtype"]).name, "scale": float(scale), "zero_point": int(zero)}


def _tflite_detail(details: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """LiteRT's tensor for a Keras tensor name (its names are not Keras's; a lone tensor is it)."""
    for d in details:
        if d["name"] == name or d["name"].split(":")[0].endswith(name):
            return d
    return details[0] if len(details) == 1 else None


def _check_loads(data: bytes) -> None:
    from ai_edge_litert.interpreter import Interpreter

    from dlterm.keras_env import quiet_native_output

    with quiet_native_output((1, 2)):
        Interpreter(model_content=data).allocate_tensors()


def _tflite_input_order(concrete: Any, model: Any, names: list[str]) -> list[str]:
    from ai_edge_litert.interpreter import Interpreter

    from dlterm.keras_env import quiet_native_output, tf

    with quiet_native_output((1, 2)):
        data = tf.lite.TFLiteConverter.from_concrete_functions([concrete], model).convert()
        details = Interpreter(model_content=data).get_input_details()
    found = [next((n for n in names if d["name"].split(":")[0].endswith(n)), None) for d in details]
    return found if sorted(filter(None, found)) == sorted(names) else names


def _convert(model: Any, quantize: str, calibration: list | None, int8_only: bool) -> bytes:
    from dlterm.keras_env import quiet_native_output

    conv = _converter(model, quantize, calibration, int8_only)
    with quiet_native_output((1, 2)):
        return conv.convert()


def _converter(model: Any, quantize: str, calibration: list | None, int8_only: bool) -> Any:
    """The TFLite converter of ``model`` at batch 1, set up for ``quantize``."""
    from dlterm.keras_env import tf

    names = [t.name.split(":")[0] for t in model.inputs]
    specs = [tf.TensorSpec([1, *t.shape[1:]], t.dtype, name=n) for t, n in zip(model.inputs, names)]
    fn = tf.function(lambda *xs: model(list(xs) if len(xs) > 1 else xs[0], training=False), input_signature=specs)
    concrete = fn.get_concrete_function()

    dtypes = {n: s.dtype.as_numpy_dtype for n, s in zip(names, specs)}
    # The calibrator feeds samples in the converted model's input order, which is not
    # Keras's (e.g. alphabetical): read that order from a plain conversion first.
    order = _tflite_input_order(concrete, model, names) if quantize.startswith("int8") and len(names) > 1 else names

    def samples():
        rng = np.random.default_rng(0)
        rows_ = [(inputs, i) for inputs, _ in calibration or [] for i in range(len(next(iter(inputs.values()))))]
        for k in rng.permutation(len(rows_))[:CALIBRATION_SAMPLES]:
            inputs, i = rows_[k]
            yield [inputs[n][i:i + 1].astype(dtypes[n]) for n in order]

    conv = tf.lite.TFLiteConverter.from_concrete_functions([concrete], model)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8 if int8_only else tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantize != "none":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        conv.target_spec.supported_types = [tf.float16]
    if quantize in ("int8", "int8-full"):
        conv.representative_dataset = samples
    if quantize == "int8-full":  # integer in and out: float inputs (images, series) and every output
        if all(s.dtype == tf.float32 for s in specs):
            conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
    return conv


def _verify(paths: dict[str, Path], fmt: str, meta: dict[str, Any], reference: dict[str, list], keras_test: np.ndarray,
            x_test: Any, y_test: np.ndarray, bundle: Any, run: Run) -> dict[str, Any]:
    """Each exported part on the exact inputs its Keras twin saw (max abs error), then the
    whole exported model against Keras on the task metric."""
    from dlterm_edge.predictor import Predictor
    from dlterm_edge.runtimes import OnnxBackend, TfliteBackend

    backends = {name: (OnnxBackend if fmt == "onnx" else TfliteBackend)(path) for name, path in paths.items()}
    predictor = Predictor(backends, meta)
    error, samples = 0.0, 0
    for name, calls in reference.items():
        for inputs, expected in calls:
            got = predictor.call(name, inputs)
            error = max(error, float(np.max(np.abs(got - expected))))
            samples += len(expected)
    metric, keras_value, export_value = get_task(run.meta["task"]).compare(bundle, keras_test, predictor.outputs(x_test), y_test)
    return {"max_abs_error": error, "samples": samples, "metric": metric, "keras_metric": keras_value,
            "export_metric": export_value, "metric_change": export_value - keras_value}
