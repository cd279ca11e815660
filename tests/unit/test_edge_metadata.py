"""dlterm_edge.metadata: the embedded metadata round trip and the validation of untrusted files."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from dlterm_edge.errors import InferenceError
from dlterm_edge.metadata import (
    MAX_METADATA_BYTES,
    embed_tflite_metadata,
    flat_onnx_properties,
    read_metadata,
    strip_tflite_metadata,
    tflite_embedded_text,
    validate_metadata,
)

FLATBUFFER = b"\x1c\x00\x00\x00TFL3" + bytes(range(256)) * 4  # stands in for a model's bytes


def image_meta(height: int = 28, width: int = 28, channels: int = 1) -> dict:
    return {"format_version": 1, "dlterm_version": "0.1.0", "task": "image-classification", "class_names": ["a", "b"],
            "inputs": [{"name": "image", "shape": [None, height, width, channels], "dtype": "float32"}],
            "outputs": [{"name": "dense", "shape": [None, 2]}],
            "preprocessing": {"kind": "image", "height": height, "width": width, "channels": channels,
                              "scale": 1 / 255, "class_names": ["a", "b"]}}


def seq2seq_meta(file: str = "model.decoder.onnx") -> dict:
    return {"task": "sequence-to-sequence", "inputs": [], "part": "encoder",
            "parts": {"encoder": {"file": "model.encoder.onnx", "inputs": [{"name": "source", "shape": [None, 5], "dtype": "int32"}]},
                      "decoder": {"file": file, "inputs": [{"name": "token", "shape": [None, 1], "dtype": "int32"}]}},
            "preprocessing": {"source_vocabulary": ["", "?", "a"], "target_vocabulary": ["", "<s>", "</s>", "x"],
                              "source_length": 5, "target_length": 6}}


def test_embedded_metadata_round_trips_and_keeps_the_model_bytes(tmp_path):
    data = embed_tflite_metadata(FLATBUFFER, image_meta())
    assert data.startswith(FLATBUFFER) and len(data) > len(FLATBUFFER)
    assert strip_tflite_metadata(data) == FLATBUFFER
    (tmp_path / "model.tflite").write_bytes(data)
    assert read_metadata(tmp_path / "model.tflite") == image_meta()


def test_reembedding_replaces_the_archive_instead_of_stacking_one():
    first = embed_tflite_metadata(FLATBUFFER, image_meta(28, 28))
    second = embed_tflite_metadata(first, image_meta(32, 32))
    assert strip_tflite_metadata(second) == FLATBUFFER
    assert json.loads(tflite_embedded_text(second, "m"))["preprocessing"]["height"] == 32


def test_sidecar_is_read_only_without_an_embedded_archive(tmp_path):
    model = tmp_path / "model.tflite"
    model.write_bytes(FLATBUFFER)
    with pytest.raises(InferenceError, match="no dlterm metadata"):
        read_metadata(model)
    (tmp_path / "model.tflite.json").write_text(json.dumps(image_meta(20, 20)))
    assert read_metadata(model)["preprocessing"]["height"] == 20
    model.write_bytes(embed_tflite_metadata(FLATBUFFER, image_meta(24, 24)))
    assert read_metadata(model)["preprocessing"]["height"] == 24  # the file itself wins


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", b" " * (MAX_METADATA_BYTES + 1))
    (tmp_path / "model.tflite").write_bytes(FLATBUFFER + buffer.getvalue())
    with pytest.raises(InferenceError, match="exceeds the cap"):
        read_metadata(tmp_path / "model.tflite")


@pytest.mark.parametrize("change, message", [
    (lambda m: m["preprocessing"].update(height=100_000, width=100_000), "preprocessing.height = 100000"),
    (lambda m: m["preprocessing"].update(height=4000, width=4000, channels=3), "exceeds"),
    (lambda m: m["preprocessing"].update(height="28"), "must be an integer"),
    (lambda m: m["preprocessing"].update(channels=7), "channels must be 1 or 3"),
    (lambda m: m.update(task="mind-reading"), "unknown task"),
    (lambda m: m.update(format_version=99), "newer than this dlterm-edge"),
    (lambda m: m.update(inputs=[{"name": "image", "shape": [None, 100_000, 100_000]}]), "elements per sample"),
    (lambda m: m.update(inputs=[{"name": "image", "dtype": "object"}]), "dtype 'object'"),
    (lambda m: m.update(class_names="ab"), "class_names must be a list of strings"),
    (lambda m: m.update(preprocessing=[]), "preprocessing must be an object"),
])
def test_validation_refuses_bad_types_and_oversized_declarations(change, message):
    meta = image_meta()
    change(meta)
    with pytest.raises(InferenceError, match=message) as error:
        validate_metadata(meta, "model.onnx")
    assert "\n" not in str(error.value) and str(error.value).startswith("model.onnx")


def test_validation_accepts_real_shapes_and_refuses_part_files_outside_the_folder():
    assert validate_metadata(seq2seq_meta())["part"] == "encoder"
    assert validate_metadata(seq2seq_meta(""))["parts"]["decoder"]["file"] == ""  # a bundle's metadata.json
    for bad in ("../evil.onnx", "/etc/passwd", "sub/model.onnx", "..\\x.onnx"):
        with pytest.raises(InferenceError, match="bare file name"):
            validate_metadata(seq2seq_meta(bad))


def test_invalid_json_is_one_line(tmp_path):
    (tmp_path / "model.tflite").write_bytes(FLATBUFFER)
    (tmp_path / "model.tflite.json").write_text("{not json")
    with pytest.raises(InferenceError, match="not valid JSON"):
        read_metadata(tmp_path / "model.tflite")


def test_flat_onnx_properties_name_labels_and_the_standard_image_keys():
    props = flat_onnx_properties(image_meta(32, 48, 3))
    assert props["task"] == "image-classification"
    assert json.loads(props["labels"]) == ["a", "b"]
    assert props["image_size"] == "32x48x3"
    assert props["Image.BitmapPixelFormat"] == "Rgb8"
    assert props["Image.NominalPixelRange"] == "Normalized_0_1"
    assert all(isinstance(v, str) for v in props.values())
    assert "image_size" not in flat_onnx_properties(seq2seq_meta())


def test_an_onnx_declaring_a_huge_image_is_refused_in_one_line(tmp_path):
    pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["image"], ["out"])], "g",
                              [helper.make_tensor_value_info("image", TensorProto.FLOAT, [None, 2])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, [None, 2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    meta = image_meta()
    meta["preprocessing"].update(height=100_000, width=100_000)
    helper.set_model_props(model, {"dlterm": json.dumps(meta)})
    (tmp_path / "model.onnx").write_bytes(model.SerializeToString())
    with pytest.raises(InferenceError, match="height = 100000 is outside") as error:
        read_metadata(tmp_path / "model.onnx")
    assert "\n" not in str(error.value)


def test_integer_tensors_carry_valid_quantization():
    meta = image_meta()
    meta["inputs"][0]["quantization"] = {"dtype": "int8", "scale": 1 / 255, "zero_point": -128}
    meta["outputs"][0]["quantization"] = {"dtype": "uint8", "scale": 1 / 256, "zero_point": 0}
    assert validate_metadata(meta) is meta


@pytest.mark.parametrize("quantization, what", [
    ({"dtype": "int16", "scale": 0.1, "zero_point": 0}, "dtype"),
    ({"dtype": "int8", "scale": 0, "zero_point": 0}, "scale"),
    ({"dtype": "int8", "scale": float("nan"), "zero_point": 0}, "scale"),
    ({"dtype": "int8", "scale": 0.1, "zero_point": 200}, "zero_point"),
    ({"dtype": "uint8", "scale": 0.1, "zero_point": -1}, "zero_point"),
    ("int8", "quantization"),
])
def test_bad_quantization_is_refused_with_its_field(quantization, what):
    meta = image_meta()
    meta["inputs"][0]["quantization"] = quantization
    with pytest.raises(InferenceError, match=what):
        validate_metadata(meta)
