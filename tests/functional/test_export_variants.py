"""The export variants added for edge accelerators and ONNX users, and the policy that a
failed variant is reported and recorded as failed: on the session's shared tiny runs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dlterm.export import export_run, exports_of
from dlterm.runstore import RunStore

pytestmark = pytest.mark.slow
TOY_LOSS = 0.5  # one-epoch toys: the policy's real floor is for real models (README audit)


def test_full_integer_tflite_has_integer_io_and_agrees_with_keras(run_copy):
    from ai_edge_litert.interpreter import Interpreter

    from dlterm import datasets
    from dlterm.export import metric_sample
    from dlterm.trained_model import keras_predictor
    from dlterm_edge import load
    from dlterm_edge.metadata import read_metadata

    models, run_id = run_copy("cnn")
    run = RunStore(models).get(run_id)
    [result] = export_run(run, ["tflite"], ["int8-full"], max_loss=TOY_LOSS)
    assert result["verified"], result.get("reason")
    interpreter = Interpreter(model_path=result["path"])  # the stock LiteRT interpreter
    [inp], [out] = interpreter.get_input_details(), interpreter.get_output_details()
    assert inp["dtype"] == np.int8 and out["dtype"] == np.int8
    meta = read_metadata(result["path"])
    assert meta["inputs"][0]["quantization"] == {"dtype": "int8", "scale": pytest.approx(inp["quantization"][0]),
                                                 "zero_point": inp["quantization"][1]}
    assert meta["outputs"][0]["quantization"]["zero_point"] == out["quantization"][1]
    # dlterm_edge quantizes the float image and dequantizes the scores: same labels as Keras
    keras, _ = keras_predictor(run)
    data = datasets.load(run.meta["dataset"], run.meta["config"]["data"], run.seed)
    x, _ = metric_sample(data)
    x = x[:100]
    agree = np.mean(np.argmax(load(result["path"]).outputs(x), 1) == np.argmax(keras.outputs(x), 1))
    assert agree >= 0.9, agree


@pytest.mark.parametrize("plugin", ["cnn", "lstm"])
def test_onnx_quantized_variants_are_made_by_onnxruntime_and_verified(run_copy, plugin):
    import onnx

    models, run_id = run_copy(plugin)
    run = RunStore(models).get(run_id)
    results = {r["quantize"]: r for r in export_run(run, ["onnx"], ["dynamic", "int8"], max_loss=TOY_LOSS)}
    assert list(results) == ["none", "dynamic", "int8"]  # float32 first: the quantizers start from it
    assert all(r["verified"] for r in results.values()), {q: r.get("reason") for q, r in results.items()}
    ops = {q: {n.op_type for n in onnx.load(r["path"]).graph.node} for q, r in results.items()}
    assert "QuantizeLinear" in ops["int8"] and "DequantizeLinear" in ops["int8"]  # static QDQ
    assert ops["dynamic"] & {"DynamicQuantizeLinear", "DynamicQuantizeLSTM", "MatMulInteger", "ConvInteger"}
    assert not ops["none"] & {"QuantizeLinear", "DynamicQuantizeLinear"}
    assert results["dynamic"]["size_bytes"] < results["none"]["size_bytes"]
    meta = json.loads({p.key: p.value for p in onnx.load(results["int8"]["path"]).metadata_props}["dlterm"])
    assert meta["quantize"] == "int8" and meta["run_id"] == run.id


def test_a_failed_variant_is_reported_recorded_without_files_and_exits_1(run_copy, monkeypatch):
    from typer.testing import CliRunner

    import dlterm.export
    from dlterm.cli.app import app

    models, run_id = run_copy("cnn")
    real = dlterm.export._to_tflite

    def broken_dynamic(model, path, quantize, *rest):
        if quantize == "dynamic":
            raise RuntimeError("converter exploded")
        real(model, path, quantize, *rest)

    monkeypatch.setattr(dlterm.export, "_to_tflite", broken_dynamic)
    result = CliRunner().invoke(app, ["export", run_id, "--format", "tflite", "--quantize", "none",
                                      "--quantize", "dynamic", "--models-dir", str(models)])
    assert result.exit_code == 1
    assert "2 variants: 1 verified, 1 failed (tflite dynamic)" in result.stdout
    assert "error: tflite dynamic failed: conversion failed: RuntimeError: converter exploded" in result.stderr
    run = RunStore(models).get(run_id)
    records = {r["quantize"]: r for r in exports_of(run)}
    assert records["none"]["verified"] and all(__import__("os").path.isfile(f) for f in records["none"]["files"])
    assert records["dynamic"]["status"] == "failed" and records["dynamic"]["files"] == []
    assert not (run.path / "exports" / "model.dynamic.tflite").exists()
    assert not [p for p in (run.path / "exports").iterdir() if p.name.startswith(".")]  # no temporaries left


def test_int8_names_its_worst_layers_and_keeps_them_in_float_on_request(run_copy):
    from ai_edge_litert.interpreter import Interpreter

    from dlterm.export import _diagnose_int8, record_calls, rows
    from dlterm.trained_model import keras_predictor

    models, run_id = run_copy("cnn")
    run = RunStore(models).get(run_id)
    keras, parts = keras_predictor(run)
    from dlterm import datasets

    data = datasets.load(run.meta["dataset"], run.meta["config"]["data"], run.seed)
    sentence = _diagnose_int8(parts, record_calls(keras, rows(data.x_train, slice(0, 60))))
    assert sentence.startswith("layers that lose most: ") and "--float-layers " in sentence
    names = sentence.rsplit("--float-layers ", 1)[1].split(",")
    [result] = export_run(run, ["tflite"], ["int8"], max_loss=TOY_LOSS, float_layers=names[:1])
    assert result["verified"] and result["float_layers"] == names[:1]
    tensors = {d["name"]: d["dtype"] for d in Interpreter(model_path=result["path"]).get_tensor_details()}
    assert tensors[names[0]] == np.float32  # the named tensor stayed float; the others are int8
    assert sum(dtype == np.int8 for dtype in tensors.values()) > 3


def test_a_tflite_lstm_whose_cell_state_passes_10_still_matches_keras(tmp_path):
    """TensorFlow's converter clips fused LSTM cell states at 10; Keras does not. A cell
    driven up to 15 and back down to 3 tells the two apart: tanh(3) against tanh(-2)."""
    from ai_edge_litert.interpreter import Interpreter

    from dlterm.export import _to_tflite
    from dlterm.keras_env import keras, layers

    inputs = keras.Input(shape=(27, 1), name="series")
    model = keras.Model(inputs, layers.LSTM(1)(inputs))
    # gates i, f, o saturated open; the candidate follows the input's sign: c += x each step
    model.set_weights([np.array([[0, 0, 20, 0]], np.float32), np.zeros((1, 4), np.float32),
                       np.array([20, 20, 0, 20], np.float32)])
    x = np.array([[1.0] * 15 + [-1.0] * 12], np.float32)[..., None]
    expected = np.asarray(model(x))
    assert expected[0, 0] == pytest.approx(np.tanh(3.0), abs=1e-3)  # the cell went to 15 and back to 3
    path = tmp_path / "lstm.tflite"
    _to_tflite(model, path, "none", None)
    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    got = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    assert np.max(np.abs(got - expected)) < 1e-4
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in {op["op_name"] for op in interpreter._get_ops_details()}  # still fused


# Every plugin x every variant is bench/export_audit.py's job (README table; 2006 s here as a
# test). The tests above cover cnn and lstm; the matrix adds the structures they do not:
# bidirectional text, a two-part seq2seq, a stacked char-LSTM. TFLite float32 and int8 of
# every plugin are test_export.py's; ONNX float32 comes first anyway (the quantizers start from it).
PLUGINS = ["bilstm", "seq2seq", "charlstm"]


@pytest.mark.parametrize("plugin", PLUGINS)
def test_every_plugin_exports_every_new_variant(run_copy, plugin):
    """The matrix: ONNX dynamic and static QDQ, TFLite dynamic and full-integer, on each
    plugin's shared tiny run; each either verified or failed with a reason, never half."""
    models, run_id = run_copy(plugin)
    run = RunStore(models).get(run_id)
    results = (export_run(run, ["onnx"], ["dynamic", "int8"], max_loss=TOY_LOSS)
               + export_run(run, ["tflite"], ["dynamic", "int8-full"], max_loss=TOY_LOSS))
    assert [(r["format"], r["quantize"]) for r in results] == [
        ("onnx", "none"), ("onnx", "dynamic"), ("onnx", "int8"), ("tflite", "dynamic"), ("tflite", "int8-full")]
    by_variant = {(r["format"], r["quantize"]): r for r in results}
    assert by_variant[("onnx", "none")]["verified"] and by_variant[("onnx", "none")]["max_abs_error"] < 1e-4
    for r in results:
        if r["verified"]:
            assert all(__import__("os").path.isfile(f) for f in r["files"])
        else:  # a failure is named, and nothing of it was written
            assert r["reason"] and r["files"] == []
            assert not list((run.path / "exports").glob(f"model*.{r['quantize']}.{r['format']}"))
    verified = sum(r["verified"] for r in results)
    print(f"{plugin}: {verified}/{len(results)} verified; failed: "
          f"{[(r['format'], r['quantize'], r['reason'][:80]) for r in results if not r['verified']]}")
