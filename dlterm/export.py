"""Export a run's model to ONNX and TFLite, verified against Keras before it lands.

* ONNX: tf2onnx with a dynamic batch axis; metadata in the file's ``metadata_props``: the
  full JSON under ``dlterm`` and flat keys other tools read (labels, task, image size...).
* TFLite: builtin ops only, converted from a ``tf.function`` traced at batch 1 with fixed
  shapes (the Keras-model converter fails on recurrent layers with a dynamic batch).
  Quantization: none, float16, dynamic (dynamic-range), int8 (calibrated on the run's own
  training data). Metadata inside the file (a zip holding ``metadata.json`` appended to
  the flatbuffer; the stock interpreter ignores it) and, for older readers, beside it as
  ``<file>.json``.

A plugin with an ``inference_parts`` hook (seq2seq: encoder + one decoder step) exports
one file per part, ``model.<part>.<format>``; each file's metadata names all the parts.

Each export is written to temporary files, checked (``onnx.checker`` for ONNX), and each
part is run on exactly the inputs its Keras twin saw on validation samples (recorded
while the Keras predictor ran, decoder steps included). A float32 export is refused if
any output differs by more than 1e-4. Every export also reports the task metric on the
test split next to Keras's. Results are recorded in the run's ``exports.json``.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

import numpy as np

from dlterm import datasets
from dlterm.errors import DltermError
from dlterm.fileio import atomic_path, write_json
from dlterm.runstore import EXPORTS_DIR, EXPORTS_JSON, Run
from dlterm.tasks import get_task
from dlterm.trained_model import export_metadata, keras_predictor
from dlterm_edge.metadata import METADATA_KEY, embed_tflite_metadata, flat_onnx_properties

FORMATS = ("onnx", "tflite")
QUANTIZATIONS = ("none", "float16", "dynamic", "int8")
FLOAT32_TOLERANCE = 1e-4
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
               progress: Any = None) -> list[dict[str, Any]]:
    """Export and verify; returns one result per format and quantization. Raises on a float32 mismatch."""
    for f in formats:
        if f not in FORMATS:
            raise DltermError(f"unknown export format {f!r}", "choose onnx, tflite or all")
    for q in quantizations:
        if q not in QUANTIZATIONS:
            raise DltermError(f"unknown quantization {q!r}", f"choose one of: {', '.join(QUANTIZATIONS)}")
    if not 13 <= opset <= 21:
        raise DltermError(f"ONNX opset {opset} is not supported here", "choose an opset from 13 to 21 (default 17)")
    exportable(run)
    # One writer per run: a second export (or a training) can not sweep this one's files.
    with run.writing("exporting"):
        try:
            return _export_held(run, formats, quantizations, opset, progress)
        except OSError as e:
            raise DltermError(f"cannot write the export into {run.path / EXPORTS_DIR}: {e.strerror or e}",
                              "free disk space or fix the folder's permissions, then export again", exit_code=1) from None


def _export_held(run: Run, formats: list[str], quantizations: list[str], opset: int, progress: Any) -> list[dict[str, Any]]:
    keras, parts = keras_predictor(run)
    cfg = run.meta["config"]
    bundle = datasets.load(run.meta["dataset"], cfg["data"], run.seed)
    x_test, y_test = metric_sample(bundle)
    reference = record_calls(keras, rows(bundle.x_val, slice(0, VERIFY_SAMPLES)))
    keras_test = keras.outputs(x_test)
    calibration = None
    out_dir = run.folder(EXPORTS_DIR)  # never a link; what a killed export left was swept by run.writing
    results = []
    jobs = [("onnx", "none")] if "onnx" in formats else []
    jobs += [("tflite", q) for q in quantizations] if "tflite" in formats else []
    for fmt, quant in jobs:
        if progress:
            progress(f"exporting {fmt}" + (f" ({quant})" if fmt == "tflite" else ""))
        t0 = time.perf_counter()
        names = file_names(parts, fmt, quant)
        meta = export_metadata(run, parts, quant, names)
        if quant == "int8" and calibration is None:  # the inputs each part sees on training samples
            rng = np.random.default_rng(0)
            pick = rng.choice(len(bundle.y_train), size=min(CALIBRATION_SAMPLES, len(bundle.y_train)), replace=False)
            calibration = record_calls(keras, rows(bundle.x_train, np.sort(pick)))
        with contextlib.ExitStack() as stack:
            tmps = {name: stack.enter_context(atomic_path(out_dir / names[name], suffix="." + fmt)) for name in parts}
            for name, model in parts.items():
                part_meta = {**meta, "part": name} if len(parts) > 1 else meta
                if fmt == "onnx":
                    _to_onnx(model, tmps[name], part_meta, opset)
                else:
                    _to_tflite(model, tmps[name], quant, calibration.get(name) if calibration and quant == "int8" else None)
                    # the metadata inside the file: one copied file is enough on a device
                    tmps[name].write_bytes(embed_tflite_metadata(tmps[name].read_bytes(), part_meta))
            result = _verify(tmps, fmt, meta, reference, keras_test, x_test, y_test, bundle, run)
            result.update(format=fmt, quantize=quant, path=str(out_dir / names[next(iter(parts))]),
                          files=[str(out_dir / names[n]) for n in parts],
                          size_bytes=sum(t.stat().st_size for t in tmps.values()),
                          sha256={names[n]: file_sha256(tmps[n]) for n in parts},
                          seconds=round(time.perf_counter() - t0, 2), created=time.time())
            if quant == "none" and result["max_abs_error"] > FLOAT32_TOLERANCE:
                _record(run, {**result, "verified": False})
                raise DltermError(f"the {fmt} export disagrees with Keras by {result['max_abs_error']:.2e} (limit {FLOAT32_TOLERANCE:g})",
                                  "nothing was written; please report this model to the dlterm issue tracker", exit_code=1)
            result["verified"] = True
            if fmt == "tflite":  # the sidecars land before the models, so a model is never without one
                for name in parts:
                    write_json(str(out_dir / names[name]) + ".json", {**meta, "part": name} if len(parts) > 1 else meta)
        results.append(result)
        _record(run, result)
    return results


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
    paths from the file."""
    out = []
    for r in run.record(EXPORTS_JSON, list) or []:
        if not (isinstance(r, dict) and r.get("format") in FORMATS and r.get("quantize") in QUANTIZATIONS
                and isinstance(r.get("path"), str) and isinstance(r.get("metric"), str)
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


def _to_onnx(model: Any, path: Path, meta: dict[str, Any], opset: int) -> None:
    import json

    import onnx
    import tf2onnx

    from dlterm.keras_env import tf

    signature = tuple(tf.TensorSpec([None, *t.shape[1:]], t.dtype, name=t.name.split(":")[0]) for t in model.inputs)
    from dlterm.keras_env import quiet_native_output

    with quiet_native_output((1, 2)):
        proto, _ = tf2onnx.convert.from_keras(model, input_signature=signature, opset=opset)
    # the full JSON for dlterm, and flat keys (labels, image size, normalization...) for other tools
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


def _to_tflite(model: Any, path: Path, quantize: str, calibration: list[tuple[dict[str, np.ndarray], np.ndarray]] | None) -> None:
    """Convert at batch 1 with fixed shapes; int8 calibrates on ``calibration``: recorded
    (inputs, output) calls of this part on training samples.

    int8 tries the recurrent layers unrolled first (see :func:`unrolled`), with int8-only
    kernels, then mixed kernels, then the fused layers; the first file LiteRT can load wins.
    """
    if quantize != "int8":
        path.write_bytes(_convert(model, quantize, None, int8_only=False))
        return
    unrolled_model = unrolled(model)
    attempts = [(unrolled_model, True), (unrolled_model, False), (model, False)]
    last_error: Exception | None = None
    for candidate, int8_only in attempts:
        try:
            data = _convert(candidate, quantize, calibration, int8_only)
            _check_loads(data)
        except Exception as e:  # noqa: BLE001 - try the next way
            last_error = e
            continue
        path.write_bytes(data)
        return
    raise DltermError(f"TFLite int8 conversion of {model.name} failed: {type(last_error).__name__}: "
                      f"{str(last_error).splitlines()[0][:160] if str(last_error) else ''}",
                      "export with --quantize dynamic or float16 instead", exit_code=1)


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
    from dlterm.keras_env import quiet_native_output, tf

    names = [t.name.split(":")[0] for t in model.inputs]
    specs = [tf.TensorSpec([1, *t.shape[1:]], t.dtype, name=n) for t, n in zip(model.inputs, names)]
    fn = tf.function(lambda *xs: model(list(xs) if len(xs) > 1 else xs[0], training=False), input_signature=specs)
    concrete = fn.get_concrete_function()

    dtypes = {n: s.dtype.as_numpy_dtype for n, s in zip(names, specs)}
    # The calibrator feeds samples in the converted model's input order, which is not
    # Keras's (e.g. alphabetical): read that order from a plain conversion first.
    order = _tflite_input_order(concrete, model, names) if quantize == "int8" and len(names) > 1 else names

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
    if quantize == "int8":
        conv.representative_dataset = samples
    with quiet_native_output((1, 2)):
        return conv.convert()


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
