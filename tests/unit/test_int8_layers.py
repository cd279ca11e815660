"""Ranking the layers an int8 conversion loses most in (from the debugger's statistics)."""

from __future__ import annotations

import pytest

from dlterm.int8_layers import describe_layers, rank_layers


def row(name, scale, mse):
    return {"tensor_name": name, "scale": str(scale), "mean_squared_error": str(mse)}


def test_layers_are_ranked_by_error_in_quantization_steps_not_raw_error():
    rows = [row("dense", 0.5, 0.25),       # rmse 0.5 = 1 step
            row("conv", 0.01, 0.0009),      # rmse 0.03 = 3 steps: worse, though its raw error is smaller
            row("lstm", 0.1, 0.0001)]       # 0.1 steps
    assert [n for n, _ in rank_layers(rows, top=2)] == ["conv", "dense"]
    assert rank_layers(rows)[0][1] == pytest.approx(3.0)


def test_rows_without_a_usable_scale_are_skipped():
    rows = [row("a", 0, 1.0), row("b", "nan", 1.0), {"tensor_name": "c"}, row("d", 0.1, "inf"), row("e", 0.1, 0.01)]
    assert rank_layers(rows) == [("e", pytest.approx(1.0))]


def test_the_sentence_offers_the_option_that_keeps_them_in_float():
    text = describe_layers([("model/conv/Relu", 3.04), ("model/dense/MatMul", 1.0)])
    assert "model/conv/Relu (rmse 3.0 steps)" in text
    assert text.endswith("--float-layers model/conv/Relu,model/dense/MatMul")
    assert describe_layers([]) == ""
