"""The export verification policy: float32 must match Keras, quantized variants are judged
by the task metric, and a failed variant leaves a record without files."""

from __future__ import annotations

import math

import pytest

from dlterm.export_policy import FLOAT32_TOLERANCE, failed_record, judge, metric_loss, summary_line


def test_float32_within_tolerance_is_accepted_and_beyond_is_refused():
    assert judge("none", 9e-5, 0.9, 0.9, "accuracy", True) == (True, "")
    ok, reason = judge("none", 2.09e-2, 0.9, 0.9, "accuracy", True)
    assert not ok and "2.09e-02" in reason and f"{FLOAT32_TOLERANCE:g}" in reason


def test_float32_is_not_rescued_by_a_good_metric():
    # the charlstm case: the metric barely moved, the outputs were 2e-2 off
    assert judge("none", 2e-2, 3.0, 3.0, "bits_per_char", False)[0] is False


@pytest.mark.parametrize("quantize", ["float16", "dynamic", "int8", "int8-full"])
def test_quantized_rate_may_lose_one_point_by_default(quantize):
    assert judge(quantize, 0.05, 0.990, 0.981, "accuracy", True)[0]
    ok, reason = judge(quantize, 0.05, 0.990, 0.975, "accuracy", True)
    assert not ok and "1 points" in reason


def test_quantized_error_metric_may_grow_ten_percent_by_default():
    assert judge("int8", 0.1, 27.0, 29.6, "rmse", False)[0]
    assert not judge("int8", 0.1, 27.0, 30.1, "rmse", False)[0]


def test_the_floor_is_configurable():
    assert not judge("int8", 0.1, 0.99, 0.97, "accuracy", True, max_loss=0.01)[0]
    assert judge("int8", 0.1, 0.99, 0.97, "accuracy", True, max_loss=0.05)[0]
    assert not judge("dynamic", 0.0, 0.99, 0.9899, "accuracy", True, max_loss=0.0)[0]


def test_a_quantized_sibling_of_a_failed_float32_is_refused():
    ok, reason = judge("float16", 2.1e-2, 3.0, 3.0, "bits_per_char", False, float32_failed=True)
    assert not ok and "float32" in reason


def test_non_finite_numbers_fail():
    assert not judge("none", math.nan, 0.9, 0.9, "accuracy", True)[0]
    assert not judge("int8", 0.1, 0.9, math.inf, "rmse", False)[0]


def test_metric_loss_units():
    assert metric_loss(0.99, 0.98, True) == pytest.approx(0.01)
    assert metric_loss(2.0, 2.2, False) == pytest.approx(0.1)
    assert metric_loss(0.98, 0.99, True) < 0


def test_a_failed_record_lists_no_files():
    record = failed_record("tflite", "none", "differs", max_abs_error=0.02)
    assert record["files"] == [] and record["path"] == "" and record["verified"] is False
    assert record["status"] == "failed" and record["max_abs_error"] == 0.02


def test_summary_names_the_failed_variants():
    results = [{"format": "onnx", "quantize": "none", "verified": True},
               {"format": "tflite", "quantize": "int8-full", "verified": False}]
    assert summary_line(results) == "2 variants: 1 verified, 1 failed (tflite int8-full)"
    assert summary_line(results[:1]) == "1 variant: 1 verified"


def test_exports_json_keeps_failed_variants_without_files_and_drops_malformed_ones(tmp_path):
    from dlterm.export import exports_of, variants
    from dlterm.fileio import write_json
    from dlterm.runstore import RunStore

    meta = {"task": "image-classification", "dataset": "shapes",
            "config": {"hyperparameters": {}, "training": {"epochs": 1, "seed": 1}, "data": {}}}
    run = RunStore(tmp_path).create("cnn", meta)
    ok = {"format": "onnx", "quantize": "int8", "path": "/elsewhere/model.int8.onnx", "metric": "accuracy",
          "max_abs_error": 0.01, "keras_metric": 0.9, "export_metric": 0.9, "size_bytes": 10, "verified": True}
    write_json(run.file("exports.json"), [
        ok,
        failed_record("tflite", "int8-full", "conversion failed: boom", files=["/etc/passwd"]),
        {"format": "tflite", "quantize": "failed-ish", "status": "failed", "reason": "x"},  # unknown variant
        {"format": "onnx", "quantize": "float16", "path": "model.float16.onnx"},  # ONNX has no float16
        {"format": "tflite", "quantize": "none", "status": "failed"},  # no reason: malformed
    ])
    records = exports_of(run)
    assert [(r["format"], r["quantize"]) for r in records] == [("onnx", "int8"), ("tflite", "int8-full")]
    assert records[0]["path"] == str(run.path / "exports" / "model.int8.onnx")  # a name inside the run, not a path
    assert records[1]["files"] == [] and records[1]["path"] == "" and not records[1]["verified"]
    # ONNX float32 always comes first: the quantizers start from it; float16 is TFLite's only
    assert variants(["onnx", "tflite"], ["float16", "int8"]) == [("onnx", "none"), ("onnx", "int8"),
                                                                  ("tflite", "float16"), ("tflite", "int8")]
