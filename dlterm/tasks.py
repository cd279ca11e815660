"""What each task means for training: loss, metrics, and the metric that picks the best epoch.

Plain strings only (Keras resolves them), so this stays importable without TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TaskTraining:
    loss: str
    metrics: tuple[str, ...]
    monitor: str  # default for early stopping and the best checkpoint
    mode: str  # "max" or "min"


TASK_TRAINING = {
    "image-classification": TaskTraining("sparse_categorical_crossentropy", ("accuracy",), "val_accuracy", "max"),
    "text-classification": TaskTraining("sparse_categorical_crossentropy", ("accuracy",), "val_accuracy", "max"),
    "sequence-forecasting": TaskTraining("mse", ("mae",), "val_loss", "min"),
    "sequence-to-sequence": TaskTraining("sparse_categorical_crossentropy", ("accuracy",), "val_accuracy", "max"),
    "text-generation": TaskTraining("sparse_categorical_crossentropy", ("accuracy",), "val_loss", "min"),
}


def monitor_for(task: str, requested: str) -> tuple[str, str]:
    """(metric name, mode) for a task and the user's ``monitor`` option ('auto' = task default)."""
    tt = TASK_TRAINING[task]
    if requested == "auto":
        return tt.monitor, tt.mode
    available = {"loss", "val_loss"} | set(tt.metrics) | {f"val_{m}" for m in tt.metrics}
    if requested not in available:
        from dlterm.errors import DltermError

        raise DltermError(f"monitor {requested!r} is not recorded for {task}", f"choose one of: {', '.join(sorted(available))}")
    mode = "min" if requested.endswith(("loss", "mae")) else "max"
    return requested, mode
