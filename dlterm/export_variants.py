"""The export variants that exist: formats and their quantizations, in listing order.

The one list the export itself, the CLI (its options and their help) and the dashboard's
export form read. No imports: the CLI's start-up and the dashboard stay light.
"""

from __future__ import annotations

FORMATS = ("onnx", "tflite")
QUANTIZATIONS = ("none", "float16", "dynamic", "int8", "int8-full")
# ONNX is quantized by onnxruntime's tools: dynamic, and int8 as static QDQ.
FORMAT_QUANTIZATIONS = {"onnx": ("none", "dynamic", "int8"), "tflite": QUANTIZATIONS}
ALL = "all"  # every format, or every quantization


def quantizations_of(fmt: str) -> tuple[str, ...]:
    """What a format choice (a format or ``all``) can be quantized to, in listing order."""
    return QUANTIZATIONS if fmt == ALL else FORMAT_QUANTIZATIONS[fmt]
