"""Metrics on numpy arrays that several tasks and services share (pure numpy, no
TensorFlow). Which metric headlines a task is the task's business (:mod:`dlterm.tasks`).
The formulas live in :mod:`dlterm_edge.metrics`, so ``dlterm-edge bench`` on a device
computes exactly what evaluation and export verification report."""

from __future__ import annotations

from dlterm_edge.metrics import bits_per_char, char_accuracy, exact_match  # noqa: F401 - one copy, shared with devices
