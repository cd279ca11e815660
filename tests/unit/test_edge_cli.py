"""dlterm-edge's command line on a tiny hand-built ONNX classifier (no TensorFlow): one-line
errors, predict, info, and bench rows that survive a broken variant."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from dlterm_edge.bundle import write_checksums
from dlterm_edge.cli import main
from dlterm_edge.metadata import embed_tflite_metadata

LABELS = ["dark", "light"]


def classifier_meta() -> dict:
    return {"format_version": 1, "dlterm_version": "0.1.0", "run_id": "tiny-1", "plugin": "hand", "task": "image-classification",
            "class_names": LABELS, "inputs": [{"name": "image", "shape": [None, 4, 4, 1], "dtype": "float32"}],
            "preprocessing": {"kind": "image", "height": 4, "width": 4, "channels": 1, "scale": 1 / 255, "class_names": LABELS}}


def write_classifier(path, meta=None) -> None:
    """An ONNX model scoring mean brightness: class 1 ('light') when the image is bright."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.stack([-np.ones(16), np.ones(16)], axis=1).astype(np.float32) * 4, "w")
    bias = numpy_helper.from_array(np.array([32.0, -32.0], np.float32), "b")  # the boundary at mean 0.5
    shape = numpy_helper.from_array(np.array([-1, 16], np.int64), "shape")
    nodes = [helper.make_node("Reshape", ["image", "shape"], ["flat"]), helper.make_node("MatMul", ["flat", "w"], ["logits0"]),
             helper.make_node("Add", ["logits0", "b"], ["logits"]), helper.make_node("Softmax", ["logits"], ["probs"], axis=-1)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [None, 4, 4, 1])],
                              [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [None, 2])], [weights, bias, shape])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, {"dlterm": json.dumps(meta or classifier_meta())})
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())


@pytest.fixture
def bundle(tmp_path):
    folder = tmp_path / "bundle"
    folder.mkdir()
    write_classifier(folder / "model.onnx")
    # A variant that cannot run: a flatbuffer LiteRT rejects (or LiteRT is not installed).
    (folder / "model.int8.tflite").write_bytes(embed_tflite_metadata(b"not a flatbuffer", classifier_meta()))
    (folder / "metadata.json").write_text(json.dumps(classifier_meta()))
    x = np.concatenate([np.full((5, 4, 4, 1), 0.1), np.full((5, 4, 4, 1), 0.9)]).astype(np.float32)
    y = np.array([0] * 5 + [1] * 4 + [0])  # one wrong label: accuracy 0.9
    np.savez(folder / "sample.npz", image=x, y=y, expected=np.zeros((10, 2), np.float32))
    write_checksums(folder)
    return folder


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_predict_labels_an_image_from_a_bundle(bundle, tmp_path, capsys):
    from PIL import Image

    Image.new("L", (9, 9), 240).save(tmp_path / "bright.png")
    Image.new("L", (9, 9), 10).save(tmp_path / "dim.png")
    assert main(["predict", str(bundle), str(tmp_path / "bright.png"), str(tmp_path / "dim.png"), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["label"] for r in results] == ["light", "dark"]
    assert main(["predict", str(bundle / "model.onnx"), str(tmp_path / "dim.png")]) == 0
    assert capsys.readouterr().out.startswith(f"{tmp_path / 'dim.png'}: dark (")


def test_bench_keeps_the_table_when_one_variant_fails_and_applies_min_metric(bundle, tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = main(["bench", str(bundle), "--repeats", "5", "--json", str(out), "--min-metric", "0.8"])
    rows = {r["variant"]: r for r in json.loads(out.read_text())["rows"]}
    assert rows["onnx"]["status"] == "ok" and rows["onnx"]["metric"] == "accuracy"
    assert rows["onnx"]["metric_value"] == pytest.approx(0.9) and rows["onnx"]["samples"] == 10
    assert rows["onnx"]["latency_ms_p50"] > 0 and rows["onnx"]["size_bytes"] == (bundle / "model.onnx").stat().st_size
    assert rows["tflite-int8"]["status"] == "failed" and rows["tflite-int8"]["reason"]
    assert code == 1  # the failed variant misses the bar
    table = capsys.readouterr().out
    assert "machine:" in table and "onnxruntime" in table and "tflite-int8  failed" in table
    assert main(["bench", str(bundle), "--format", "onnx", "--repeats", "5", "--min-metric", "0.85"]) == 0
    assert main(["bench", str(bundle), "--format", "onnx", "--repeats", "5", "--min-metric", "0.95"]) == 1
    assert "onnx missed --min-metric 0.95" in capsys.readouterr().err


def test_info_prints_metadata_of_a_bundle_and_of_a_lone_tflite(bundle, capsys):
    assert main(["info", str(bundle)]) == 0
    text = capsys.readouterr().out
    assert "checksums: 4 files verified" in text and "labels: dark, light" in text and "task: image-classification" in text
    assert main(["info", str(bundle / "model.int8.tflite"), "--json"]) == 0  # metadata is read, the model is not run
    assert json.loads(capsys.readouterr().out)["metadata"]["run_id"] == "tiny-1"


@pytest.mark.parametrize("args, message", [
    (["info", "/nonexistent/model.onnx"], "model file not found"),
    (["predict", "/nonexistent", "x.png", "--format", "onnx"], "model file or bundle not found"),
    (["predict", "/nonexistent", "x.png"], "model file or bundle not found"),
    (["bench", "/nonexistent"], "not found"),
    (["predict", "BUNDLE", "--steps", "0", "x"], "argument --steps: 0 is outside 1..10000"),
    (["bench", "BUNDLE", "--format", "tflite-float16"], "no variant 'tflite-float16' here"),
    (["predict", "BUNDLE", "missing.png"], "image not found: missing.png"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_is_one_line_with_exit_2(bundle, capsys, args, message):
    args = [str(bundle) if a == "BUNDLE" else a for a in args]
    with pytest.raises(SystemExit) as stop:
        code = main(args)
        raise SystemExit(code)
    assert stop.value.code == 2
    assert message in one_line_error(capsys)


def test_a_model_declaring_a_huge_image_is_refused_before_loading(tmp_path, capsys):
    meta = classifier_meta()
    meta["preprocessing"].update(height=100_000, width=100_000)
    write_classifier(tmp_path / "model.onnx", meta)
    assert main(["predict", str(tmp_path / "model.onnx"), "x.png"]) == 2
    assert "preprocessing.height = 100000 is outside 1..4096" in one_line_error(capsys)


def test_a_garbage_onnx_file_is_one_line(tmp_path, capsys):
    (tmp_path / "model.onnx").write_bytes(b"\x00garbage")
    assert main(["info", str(tmp_path / "model.onnx")]) == 2
    assert "is not a usable ONNX model" in one_line_error(capsys)


def test_hostile_inputs_to_device_predict_are_one_line(bundle, tmp_path, capsys):
    from tests.unit.test_edge_limits import png_header

    bomb = png_header(tmp_path / "bomb.png", 20_000, 20_000)
    pipe = tmp_path / "pipe.png"
    os.mkfifo(pipe)
    for path, message in ((bomb, "is 20000x20000 pixels, over the limit"), (pipe, "is a FIFO (named pipe), not a regular file"),
                          ("/dev/zero", "is a device, not a regular file")):
        assert main(["predict", str(bundle), str(path)]) == 2
        assert message in one_line_error(capsys)
