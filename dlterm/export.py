"""Export a run's model to ONNX and TFLite, verified against Keras before it lands.

* ONNX: tf2onnx with a dynamic batch axis; metadata in the file's ``metadata_props``.
* TFLite: builtin ops only, converted from a ``tf.function`` traced at batch 1 with fixed
  shapes (the Keras-model converter fails on recurrent layers with a dynamic batch).
  Quantization: none, float16, dynamic (dynamic-range), int8 (calibrated on the run's own
  training data). Metadata beside the file as ``<file>.json``.

Each export is written to a temporary file, checked (``onnx.checker`` for ONNX), run on
validation samples next to the Keras model and, for float32 exports, refused if any
output differs by more than 1e-4. Quantized exports report the change of the task metric
on the test split instead. Results are recorded in the run's ``exports.json``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from dlterm import __version__, datasets
from dlterm.errors import DltermError
from dlterm.fileio import atomic_path, read_json, remove_stale_temporaries, write_json
from dlterm.runstore import Run

FORMATS = ("onnx", "tflite")
QUANTIZATIONS = ("none", "float16", "dynamic", "int8")
FLOAT32_TOLERANCE = 1e-4
VERIFY_SAMPLES = 128


def export_metadata(run: Run, model: Any, quantize: str = "none") -> dict[str, Any]:
    """Everything a device needs to use the model, as plain JSON."""
    return {
        "format_version": 1, "dlterm_version": __version__, "run_id": run.id, "plugin": run.meta["plugin"],
        "task": run.meta["task"], "dataset": run.meta["dataset"], "quantize": quantize,
        "inputs": [{"name": t.name.split(":")[0], "shape": [None, *t.shape[1:]], "dtype": t.dtype.name} for t in model.inputs],
        "outputs": [{"name": t.name.split("/")[0], "shape": [None, *t.shape[1:]]} for t in model.outputs],
        "class_names": run.meta.get("class_names") or None,
        "preprocessing": read_json(run.file("preprocessing.json")),
    }


def exportable(run: Run) -> None:
    status = run.status
    if status == "running":
        raise DltermError(f"run {run.id} is still training", "wait for it to finish (or stop it) before exporting")
    if not run.file("best.keras").is_file():
        raise DltermError(f"run {run.id} ({status}) has no saved model to export", "train it for at least one epoch")


def export_run(run: Run, formats: list[str], quantizations: list[str], opset: int = 17,
               progress: Any = None) -> list[dict[str, Any]]:
    """Export and verify; returns one result per file. Raises on a float32 mismatch."""
    for f in formats:
        if f not in FORMATS:
            raise DltermError(f"unknown export format {f!r}", "choose onnx, tflite or all")
    for q in quantizations:
        if q not in QUANTIZATIONS:
            raise DltermError(f"unknown quantization {q!r}", f"choose one of: {', '.join(QUANTIZATIONS)}")
    if not 13 <= opset <= 21:
        raise DltermError(f"ONNX opset {opset} is not supported here", "choose an opset from 13 to 21 (default 17)")
    exportable(run)
    from dlterm.training.trainer import load_model

    model = load_model(run.file("best.keras"), compile=False)
    cfg = run.meta["config"]
    bundle = datasets.load(run.meta["dataset"], cfg["data"], cfg["training"]["seed"])
    keras_val = _keras_predict(model, bundle.x_val[:VERIFY_SAMPLES])
    keras_test = _keras_predict(model, bundle.x_test)
    out_dir = run.file("exports")
    if out_dir.is_dir():
        remove_stale_temporaries(out_dir)  # an export killed mid-write leaves one
    results = []
    jobs = [("onnx", "none")] if "onnx" in formats else []
    jobs += [("tflite", q) for q in quantizations] if "tflite" in formats else []
    for fmt, quant in jobs:
        if progress:
            progress(f"exporting {fmt}" + (f" ({quant})" if fmt == "tflite" else ""))
        t0 = time.perf_counter()
        meta = export_metadata(run, model, quant)
        name = "model.onnx" if fmt == "onnx" else ("model.tflite" if quant == "none" else f"model.{quant}.tflite")
        target = out_dir / name
        with atomic_path(target, suffix="." + fmt) as tmp:
            if fmt == "onnx":
                _to_onnx(model, tmp, meta, opset)
            else:
                _to_tflite(model, tmp, quant, bundle.x_train)
            result = _verify(tmp, fmt, meta, keras_val, keras_test, bundle, run)
            result.update(format=fmt, quantize=quant, path=str(target), size_bytes=tmp.stat().st_size,
                          seconds=round(time.perf_counter() - t0, 2), created=time.time())
            if quant == "none" and result["max_abs_error"] > FLOAT32_TOLERANCE:
                _record(run, {**result, "verified": False})
                raise DltermError(f"the {fmt} export disagrees with Keras by {result['max_abs_error']:.2e} (limit {FLOAT32_TOLERANCE:g})",
                                  "nothing was written; please report this model to the dlterm issue tracker", exit_code=1)
            result["verified"] = True
            if fmt == "tflite":  # the sidecar lands before the model, so the model is never without it
                write_json(str(target) + ".json", meta)
        results.append(result)
        _record(run, result)
    return results


def _record(run: Run, result: dict[str, Any]) -> None:
    path = run.file("exports.json")
    records = read_json(path) if path.is_file() else []
    records = [r for r in records if (r["format"], r["quantize"]) != (result["format"], result["quantize"])]
    write_json(path, records + [result])


def exports_of(run: Run) -> list[dict[str, Any]]:
    path = run.file("exports.json")
    return read_json(path) if path.is_file() else []


def _keras_predict(model: Any, x: np.ndarray) -> np.ndarray:
    return np.asarray(model.predict(x, batch_size=256, verbose=0), dtype=np.float32)


def _to_onnx(model: Any, path: Path, meta: dict[str, Any], opset: int) -> None:
    import json

    import onnx
    import tf2onnx

    from dlterm.keras_env import tf

    signature = tuple(tf.TensorSpec([None, *t.shape[1:]], tf.float32, name=t.name.split(":")[0]) for t in model.inputs)
    from dlterm.keras_env import quiet_native_output

    with quiet_native_output((1, 2)):
        proto, _ = tf2onnx.convert.from_keras(model, input_signature=signature, opset=opset)
    onnx.helper.set_model_props(proto, {"dlterm": json.dumps(meta)})
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


def _to_tflite(model: Any, path: Path, quantize: str, x_train: np.ndarray) -> None:
    from dlterm.keras_env import quiet_native_output, tf

    if quantize == "int8":
        model = unrolled(model)

    specs = [tf.TensorSpec([1, *t.shape[1:]], tf.float32, name=t.name.split(":")[0]) for t in model.inputs]
    fn = tf.function(lambda *xs: model(list(xs) if len(xs) > 1 else xs[0], training=False), input_signature=specs)
    concrete = fn.get_concrete_function()

    def converter(int8_only: bool):
        conv = tf.lite.TFLiteConverter.from_concrete_functions([concrete], model)
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8 if int8_only else tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantize != "none":
            conv.optimizations = [tf.lite.Optimize.DEFAULT]
        if quantize == "float16":
            conv.target_spec.supported_types = [tf.float16]
        if quantize == "int8":
            rng = np.random.default_rng(0)
            sample = x_train[rng.choice(len(x_train), size=min(200, len(x_train)), replace=False)]
            conv.representative_dataset = lambda: ([s[None].astype(np.float32)] for s in sample)
        return conv

    with quiet_native_output((1, 2)):
        try:
            data = converter(int8_only=quantize == "int8").convert()
        except Exception:  # noqa: BLE001 - an op without an int8 kernel: let it stay float
            if quantize != "int8":
                raise
            data = converter(int8_only=False).convert()
    path.write_bytes(data)


def _verify(path: Path, fmt: str, meta: dict[str, Any], keras_val: np.ndarray, keras_test: np.ndarray,
            bundle: Any, run: Run) -> dict[str, Any]:
    from dlterm.inference import OnnxBackend, Predictor, TfliteBackend

    backend = OnnxBackend(path) if fmt == "onnx" else TfliteBackend(path)
    predictor = Predictor(backend, meta)
    val = predictor.run(bundle.x_val[:VERIFY_SAMPLES])
    test = predictor.run(bundle.x_test)
    metric, keras_value, export_value = task_metric(run.meta["task"], bundle, keras_test, test)
    return {"max_abs_error": float(np.max(np.abs(val - keras_val))), "samples": int(len(val)),
            "metric": metric, "keras_metric": keras_value, "export_metric": export_value,
            "metric_change": export_value - keras_value}


def task_metric(task: str, bundle: Any, keras_out: np.ndarray, export_out: np.ndarray) -> tuple[str, float, float]:
    """The task's headline metric on the test split for two sets of outputs."""
    if task in ("image-classification", "text-classification"):
        return ("accuracy", float((keras_out.argmax(-1) == bundle.y_test).mean()),
                float((export_out.argmax(-1) == bundle.y_test).mean()))
    if task == "sequence-forecasting":
        from dlterm.inference import to_units

        last, prep = bundle.extra["last_test"], bundle.preprocessing
        truth = to_units(bundle.y_test, last, prep)

        def rmse(out: np.ndarray) -> float:
            return float(np.sqrt(np.mean((to_units(out, last, prep) - truth) ** 2)))

        return "rmse", rmse(keras_out), rmse(export_out)
    raise DltermError(f"export verification for {task} is not available yet")

