"""dlterm_edge feeds full-integer TFLite files: float inputs are quantized with the tensor's
scale and zero point, integer outputs dequantized (no TensorFlow, no model needed)."""

from __future__ import annotations

import numpy as np

from dlterm_edge.runtimes import _dequantize, _quantize


def detail(dtype, scale, zero):
    return {"dtype": dtype, "quantization": (scale, zero)}


def test_int8_input_is_quantized_with_scale_and_zero_point_and_clipped():
    pixels = np.array([[0.0, 0.4, 1.0, 2.0]], np.float32)  # 2.0 is out of the calibrated range
    q = _quantize(pixels, detail(np.int8, 1 / 255, -128))
    assert q.dtype == np.int8
    assert q.tolist() == [[-128, -26, 127, 127]]


def test_uint8_round_trip_is_within_half_a_step():
    x = np.linspace(-1, 1, 50, dtype=np.float32)[None]
    d = detail(np.uint8, 2 / 255, 128)
    q = _quantize(x, d)
    assert q.dtype == np.uint8
    assert np.max(np.abs(_dequantize(q, d) - x)) <= 1 / 255 + 1e-6


def test_int8_output_is_dequantized_to_float32():
    y = _dequantize(np.array([[-128, 0, 127]], np.int8), detail(np.int8, 1 / 256, -128))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, [[0.0, 0.5, 255 / 256]])


def test_integer_token_inputs_pass_through_unchanged():
    tokens = np.array([[3, 1, 4]], np.int64)
    out = _quantize(tokens, detail(np.int32, 0.0, 0))
    assert out.dtype == np.int32 and out.tolist() == [[3, 1, 4]]
