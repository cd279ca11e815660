"""Offline default datasets, generated with numpy: no download, and a model can learn them.

* ``shapes``: 28x28 grayscale images of four shapes (disc, square, triangle, cross) at
  random sizes and positions, with noise. Chance is 25%; a small CNN gets >90% in seconds.
* ``seasonal``: a monthly-like series with trend, a yearly cycle and noise. The naive
  last-value forecast is clearly beatable because the cycle is predictable.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlterm.datasets.base import DataBundle, classification_spec, image_preprocessing, split_indices

SHAPE_NAMES = ["disc", "square", "triangle", "cross"]


def _draw(kind: int, size: int, rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    r = rng.uniform(size * 0.18, size * 0.36)
    cy, cx = rng.uniform(r + 1, size - r - 1, 2)
    dy, dx = yy - cy, xx - cx
    if kind == 0:
        mask = dy**2 + dx**2 <= r**2
    elif kind == 1:
        mask = (np.abs(dy) <= r * 0.85) & (np.abs(dx) <= r * 0.85)
    elif kind == 2:  # upward triangle: below the apex, inside two slanted edges
        mask = (dy <= r * 0.8) & (dy >= -r) & (np.abs(dx) <= (dy + r) * 0.6)
    else:
        w = r * 0.3
        mask = ((np.abs(dy) <= w) & (np.abs(dx) <= r)) | ((np.abs(dx) <= w) & (np.abs(dy) <= r))
    img = mask.astype(np.float32) * rng.uniform(0.6, 1.0)
    img += rng.normal(0, 0.08, img.shape).astype(np.float32)
    return np.clip(img, 0, 1)


def load_shapes(settings: dict[str, Any], seed: int) -> DataBundle:
    rng = np.random.default_rng(seed)
    n, size = settings["samples"], settings["image_size"]
    y = rng.integers(0, len(SHAPE_NAMES), n).astype(np.int32)
    x = np.stack([_draw(int(k), size, rng) for k in y])[..., None]
    tr, va, te = split_indices(n, settings["val_fraction"], settings["test_fraction"], rng)
    prep = image_preprocessing(size, size, 1, SHAPE_NAMES)
    return DataBundle("shapes", classification_spec("image-classification", x, SHAPE_NAMES),
                      x[tr], y[tr], x[va], y[va], x[te], y[te], prep)


def seasonal_series(length: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(length, dtype=np.float64)
    trend = 100 + 0.5 * t
    season = 25 * np.sin(2 * np.pi * t / 12) + 10 * np.sin(2 * np.pi * t / 6 + 1.0)
    return trend + season + rng.normal(0, 3, length)


def load_seasonal(settings: dict[str, Any], seed: int) -> DataBundle:
    from dlterm.datasets.series import windows_bundle

    values = seasonal_series(settings["length"], seed)[:, None]
    return windows_bundle("seasonal", values, ["value"], settings)
