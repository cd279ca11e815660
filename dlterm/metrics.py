"""Metrics on numpy arrays that several tasks and services share (pure numpy, no
TensorFlow). Which metric headlines a task is the task's business (:mod:`dlterm.tasks`)."""

from __future__ import annotations

import numpy as np

from dlterm.inference import PAD


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
