"""Which layers an int8 TFLite conversion loses most in, and int8 files that keep them in float.

When an int8 variant loses more than the policy allows, a user needs to know where: TFLite's
``QuantizationDebugger`` runs the float and the quantized model side by side on the
calibration samples and measures each quantized tensor's error. The ranking uses the
root-mean-square error in units of the tensor's quantization step (``rmse / scale``): about
0.29 is the rounding floor, much more means the layer's range or values quantize badly.
Those tensors can then be kept in float (``dlterm export --float-layers NAME,...``), which
the debugger's ``denylisted_nodes`` does. TensorFlow is imported only inside the functions.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import warnings
from typing import Any

DEBUG_SAMPLES = 50  # enough to rank layers; the debugger runs both models on each


def worst_layers(converter: Any, top: int = 3) -> list[tuple[str, float]]:
    """(tensor name, rmse / scale) of the ``top`` quantized tensors that lose most.

    ``converter`` is set up for int8 with its representative dataset (float input/output).
    """
    from dlterm.keras_env import quiet_native_output, tf

    dataset = converter.representative_dataset
    with quiet_native_output((1, 2)), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the debugger runs tf.lite.Interpreter, which warns it is deprecated
        debugger = tf.lite.experimental.QuantizationDebugger(
            converter=converter, debug_dataset=lambda: itertools.islice(dataset(), DEBUG_SAMPLES))
        debugger.run()
    dump = io.StringIO()
    debugger.layer_statistics_dump(dump)
    return rank_layers(list(csv.DictReader(io.StringIO(dump.getvalue()))), top)


def rank_layers(rows: list[dict[str, str]], top: int = 3) -> list[tuple[str, float]]:
    """The debugger's per-tensor rows -> the ``top`` (tensor name, rmse / scale), worst first."""
    scored = []
    for row in rows:
        try:
            scale, mse = float(row["scale"]), float(row["mean_squared_error"])
        except (KeyError, TypeError, ValueError):
            continue
        if scale > 0 and math.isfinite(mse) and row.get("tensor_name"):
            scored.append((row["tensor_name"], math.sqrt(mse) / scale))
    return sorted(scored, key=lambda item: -item[1])[:top]


def describe_layers(layers: list[tuple[str, float]]) -> str:
    """``layers that lose most: a (rmse 3.1 steps), b (...); keep them in float with --float-layers a,b``."""
    if not layers:
        return ""
    named = ", ".join(f"{name} (rmse {loss:.1f} steps)" for name, loss in layers)
    return f"layers that lose most: {named}; keep them in float with --float-layers {','.join(n for n, _ in layers)}"


def convert_with_float_layers(converter: Any, nodes: list[str]) -> bytes:
    """The int8 model with the tensors ``nodes`` (names from :func:`worst_layers`) left in float."""
    from dlterm.keras_env import quiet_native_output, tf

    dataset = converter.representative_dataset
    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=list(nodes))
    with quiet_native_output((1, 2)), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        debugger = tf.lite.experimental.QuantizationDebugger(
            converter=converter, debug_dataset=lambda: itertools.islice(dataset(), DEBUG_SAMPLES), debug_options=options)
        return debugger.get_nondebug_quantized_model()
