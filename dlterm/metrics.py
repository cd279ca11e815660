"""Task metrics on numpy arrays: what evaluation, export verification and the benchmark
report. Pure numpy (no TensorFlow), so every service and the unit tests share one copy."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlterm.errors import DltermError
from dlterm.inference import PAD, to_units


def char_accuracy(targets: np.ndarray, decoded: np.ndarray) -> float:
    """Share of target positions (through END, not padding) that the decoding got right."""
    mask = targets != PAD
    return float((decoded[:, : targets.shape[1]] == targets)[mask].mean()) if mask.any() else 0.0


def exact_match(targets: np.ndarray, decoded: np.ndarray) -> float:
    mask = targets != PAD
    return float(np.all((decoded[:, : targets.shape[1]] == targets) | ~mask, axis=1).mean())


def bits_per_char(y: np.ndarray, probs: np.ndarray) -> float:
    """Mean -log2 p(true next character)."""
    p = probs[np.arange(len(y)), y.astype(int)]
    return float(np.mean(-np.log2(np.maximum(p, 1e-12))))


def task_metric(task: str, bundle: Any, keras_out: np.ndarray, export_out: np.ndarray,
                y: np.ndarray | None = None) -> tuple[str, float, float]:
    """The task's headline metric on (a sample of) the test split for two sets of outputs."""
    y = bundle.y_test if y is None else y
    if task in ("image-classification", "text-classification"):
        return "accuracy", float((keras_out.argmax(-1) == y).mean()), float((export_out.argmax(-1) == y).mean())
    if task == "sequence-forecasting":
        last, prep = bundle.extra["last_test"][: len(y)], bundle.preprocessing
        truth = to_units(y, last, prep)

        def rmse(out: np.ndarray) -> float:
            return float(np.sqrt(np.mean((to_units(out, last, prep) - truth) ** 2)))

        return "rmse", rmse(keras_out), rmse(export_out)
    if task == "sequence-to-sequence":
        return "char_accuracy", char_accuracy(y, keras_out), char_accuracy(y, export_out)
    if task == "text-generation":
        return "bits_per_char", bits_per_char(y, keras_out), bits_per_char(y, export_out)
    raise DltermError(f"export verification for {task} is not available yet")
