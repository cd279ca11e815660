"""Preprocessing shared by training and devices: images, series windows, tokenisation.

dlterm's training code imports these functions (``dlterm.datasets``), and the device
runtime applies them to user inputs, so a device preprocesses exactly as training did.
numpy and (for images) pillow only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Sequence

import numpy as np

PAD, UNKNOWN = 0, 1  # token ids shared by every vocabulary
START, END = 1, 2  # target-side ids of sequence-to-sequence vocabularies


def load_image(path: str | Path, height: int, width: int, channels: int) -> np.ndarray:
    """An image file -> float32 (height, width, channels) in [0, 1]; any mode, resized.

    Transparency is composited onto white so the background does not become black noise.
    """
    from PIL import Image

    from dlterm_edge.limits import opened_image  # a regular file under the byte and pixel caps

    with opened_image(path) as img:
        img.load()
        if img.mode in ("RGBA", "LA", "P") or "transparency" in img.info:
            rgba = img.convert("RGBA")
            canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            img = Image.alpha_composite(canvas, rgba)
        img = img.convert("L" if channels == 1 else "RGB")
        img = img.resize((width, height), Image.BILINEAR)
        arr = np.asarray(img, dtype=np.float32) / 255.0
    return arr[..., None] if channels == 1 else arr


def relative_windows(raw: np.ndarray, prep: dict[str, Any]) -> np.ndarray:
    """Raw windows (batch, window, features) in original units -> model inputs:
    each window minus its last row, divided by the training-part standard deviation."""
    scale = np.asarray(prep["scale"], dtype=np.float64)
    return ((raw - raw[:, -1:, :]) / scale).astype(np.float32)


def to_units(change: np.ndarray, last: np.ndarray, prep: dict[str, Any]) -> np.ndarray:
    """Model outputs (scaled changes) -> forecasts in original units: last + change * scale."""
    return np.asarray(last, dtype=np.float64) + np.asarray(change, dtype=np.float64).reshape(-1) * prep["scale"][0]


_WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def words(text: str) -> list[str]:
    """The word tokeniser: lower-case runs of letters and digits ("don't" stays one word)."""
    return _WORD_RE.findall(text.lower())


def encode_tokens(tokens: Sequence[str], index: dict[str, int], length: int) -> np.ndarray:
    """Tokens -> ``length`` ids: unknown ones become UNKNOWN, the first ``length`` are kept
    and the rest is padded with PAD at the front (recurrent layers then end on real tokens)."""
    ids = [index.get(t, UNKNOWN) for t in tokens][:length]
    return np.array([PAD] * (length - len(ids)) + ids, dtype=np.int32)


def vocabulary_index(vocabulary: Sequence[str]) -> dict[str, int]:
    """A vocabulary list (position = id; 0 and 1 are PAD and UNKNOWN) -> {token: id}."""
    return {tok: i for i, tok in enumerate(vocabulary) if i > UNKNOWN}


def encode_text(texts: Sequence[str], prep: dict[str, Any]) -> np.ndarray:
    """Texts -> a (batch, max_length) int32 array of ids, by the rules in ``prep``."""
    index = vocabulary_index(prep["vocabulary"])
    split = words if prep["tokens"] == "words" else list
    return np.stack([encode_tokens(split(t.lower() if prep.get("lower") else t), index, prep["max_length"])
                     for t in texts]) if texts else np.zeros((0, prep["max_length"]), np.int32)


def decode_ids(ids: Sequence[int], vocabulary: Sequence[str], joiner: str = "") -> str:
    """Target ids -> text, stopping at END and skipping PAD/START."""
    out = []
    for i in ids:
        i = int(i)
        if i == END:
            break
        if i > END and i < len(vocabulary):
            out.append(vocabulary[i])
    return joiner.join(out)
