"""Task metrics computed from model outputs alone (numpy), shared by ``dlterm evaluate``,
``dlterm export`` verification and ``dlterm-edge bench``."""

from __future__ import annotations

from typing import Any

import numpy as np

from dlterm_edge.preprocess import PAD, to_units


def accuracy(y: np.ndarray, probs: np.ndarray) -> float:
    return float((np.asarray(probs).argmax(-1) == np.asarray(y)).mean())


def rmse_in_units(y: np.ndarray, out: np.ndarray, last: np.ndarray, prep: dict[str, Any]) -> float:
    """RMSE of forecasts in the series' original units (``last``: each window's last value)."""
    truth = to_units(y, last, prep)
    return float(np.sqrt(np.mean((to_units(out, last, prep) - truth) ** 2)))


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


METRIC_OF_TASK = {"image-classification": "accuracy", "text-classification": "accuracy",
                  "sequence-forecasting": "rmse", "sequence-to-sequence": "char_accuracy",
                  "text-generation": "bits_per_char"}
HIGHER_IS_BETTER = {"accuracy": True, "char_accuracy": True, "rmse": False, "bits_per_char": False}


def task_metric(task: str, prep: dict[str, Any], y: np.ndarray, out: np.ndarray,
                last: np.ndarray | None = None) -> tuple[str, float]:
    """The task's headline metric: (name, value) for outputs ``out`` against targets ``y``."""
    name = METRIC_OF_TASK[task]
    if name == "accuracy":
        return name, accuracy(y, out)
    if name == "rmse":
        return name, rmse_in_units(y, out, last, prep)
    if name == "char_accuracy":
        return name, char_accuracy(y, out)
    return name, bits_per_char(y, out)
