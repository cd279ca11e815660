"""dlterm_edge.bundle: checksums refuse tampered bundles; variants are grouped by format."""

from __future__ import annotations

import pytest

from dlterm_edge.bundle import CHECKSUMS, open_bundle, verify_checksums, write_checksums
from dlterm_edge.errors import InferenceError


@pytest.fixture
def bundle(tmp_path):
    folder = tmp_path / "bundle"
    (folder / "inputs").mkdir(parents=True)
    for name in ("model.onnx", "model.tflite", "model.float16.tflite", "metadata.json", "labels.txt", "inputs/0.png"):
        (folder / name).write_bytes(name.encode() * 3)
    write_checksums(folder)
    return folder


def test_checksums_list_every_file_and_verify(bundle):
    sums = verify_checksums(bundle)
    assert sorted(sums) == ["inputs/0.png", "labels.txt", "metadata.json", "model.float16.tflite", "model.onnx", "model.tflite"]
    assert (bundle / CHECKSUMS).read_text().splitlines()[0].endswith("  inputs/0.png")


@pytest.mark.parametrize("tamper, message", [
    (lambda b: (b / "model.onnx").write_bytes(b"evil"), "model.onnx does not match its checksum"),
    (lambda b: (b / "inputs" / "0.png").unlink(), "inputs/0.png is listed in SHA256SUMS but missing"),
    (lambda b: (b / "model.int8.tflite").write_bytes(b"x"), "model.int8.tflite is not listed"),
    (lambda b: (b / CHECKSUMS).write_text("0" * 64 + "  ../outside\n"), "not a safe"),
    (lambda b: (b / CHECKSUMS).unlink(), "has no SHA256SUMS"),
])
def test_a_tampered_bundle_is_refused_in_one_line(bundle, tamper, message):
    tamper(bundle)
    with pytest.raises(InferenceError, match=message) as error:
        open_bundle(bundle)
    assert "\n" not in str(error.value)


def test_variants_group_parts_and_order_onnx_first(tmp_path):
    for name in ("model.encoder.int8.tflite", "model.decoder.int8.tflite", "model.encoder.onnx", "model.decoder.onnx",
                 "model.encoder.tflite", "model.decoder.tflite", "model.encoder.onnx.json", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    variants = open_bundle(tmp_path, verify=False)
    assert [(v.format, v.quantize) for v in variants] == [("onnx", "none"), ("tflite", "none"), ("tflite", "int8")]
    assert sorted(variants[0].files) == ["decoder", "encoder"]
    assert variants[2].files["decoder"].name == "model.decoder.int8.tflite"
    assert variants[2].label == "tflite (int8)"


def test_checksums_file_follows_the_umask(bundle):
    import os
    import stat

    old = os.umask(0o022)
    try:
        write_checksums(bundle)
    finally:
        os.umask(old)
    assert stat.S_IMODE((bundle / CHECKSUMS).stat().st_mode) == 0o644


def test_the_device_runtime_names_every_variant_dlterm_exports():
    """dlterm_edge can not import dlterm (a device installs it alone): its list must agree."""
    from dlterm.export import file_names
    from dlterm.export_variants import FORMAT_QUANTIZATIONS
    from dlterm_edge import bundle

    assert bundle.QUANTIZATIONS == FORMAT_QUANTIZATIONS["tflite"]
    for fmt, quantizations in FORMAT_QUANTIZATIONS.items():
        for quantize in quantizations:
            for parts in ({"model": None}, {"encoder": None, "decoder": None}):
                for part, name in file_names(parts, fmt, quantize).items():
                    match = bundle.MODEL_NAME.match(name)
                    assert match and (match["fmt"], match["quant"] or "none") == (fmt, quantize), name
                    assert (match["part"] or "model") == part
