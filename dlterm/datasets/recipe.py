"""The complete preprocessing recipe, written down so other tools can redo it exactly.

``preprocessing.json`` and every export's metadata used to say only what varies between
runs (image size, window, vocabulary) and left the fixed rules in dlterm's code: the
resize filter, how transparency is handled, the tokeniser. A plain onnxruntime script
that used Pillow's default (bicubic) then got other probabilities. :func:`complete` adds
those rules, per kind of data, as plain JSON values, so a device or a script with only
numpy and Pillow can reproduce ``dlterm predict`` from the metadata alone.
"""

from __future__ import annotations

from typing import Any

from dlterm_edge.preprocess import _WORD_RE, PAD, UNKNOWN

IMAGE_STEPS = [
    "open the file with Pillow",
    "if it has transparency (RGBA, LA, P, or a transparency key): convert to RGBA and alpha-composite onto an opaque white background",
    "convert to color_mode (L = one channel, RGB = three)",
    "resize to (width, height) with Pillow's resize filter (Image.BILINEAR)",
    "float32 pixels times scale; one channel keeps a last axis of 1",
    "stack images along a first (batch) axis: layout NHWC",
]


def complete(prep: dict[str, Any]) -> dict[str, Any]:
    """``prep`` with the fixed rules of its kind added (values already there win)."""
    kind = prep.get("kind")
    rules: dict[str, Any] = {}
    if kind == "image":
        rules = {"color_mode": "L" if prep.get("channels") == 1 else "RGB", "alpha": "composite",
                 "background": [255, 255, 255], "resize": "bilinear", "resize_library": "pillow",
                 "offset": 0.0, "layout": "NHWC", "dtype": "float32", "steps": IMAGE_STEPS}
    elif kind == "series":
        rules = {"order": "oldest first", "layout": "NWC", "dtype": "float32",
                 "input": "(window - window[-1]) / scale, per column",
                 "output": "forecast = last value of target + output * scale[0]"}
    elif kind == "text":
        rules = {"lowercase": True, "token_pattern": _WORD_RE.pattern, "pad_id": PAD, "unknown_id": UNKNOWN,
                 "truncation": "keep the first max_length tokens", "dtype": "int32"}
    elif kind == "chars":
        rules = {"pad_id": PAD, "unknown_id": UNKNOWN, "seed_padding": " ", "dtype": "int32",
                 "input": "ids of the last window characters; a shorter seed is padded on the left with spaces"}
    elif kind == "pairs":
        rules = {"padding": "pre", "truncation": "keep the first source_length characters", "unknown_id": UNKNOWN,
                 "dtype": "int32"}
    return {**prep, **{k: v for k, v in rules.items() if k not in prep}}
