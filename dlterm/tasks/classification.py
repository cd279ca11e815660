"""What image and text classification share: accuracy, a confusion matrix, per-class recall.

Not a task module itself (no ``TASK``): ``image_classification`` and
``text_classification`` each make one from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dlterm.tasks.base import Task

if TYPE_CHECKING:
    import numpy as np


def classification_metrics(y_true: np.ndarray, probs: np.ndarray, class_names: list[str]) -> dict[str, Any]:
    import numpy as np

    pred = probs.argmax(axis=-1)
    k = len(class_names)
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (y_true.astype(int), pred.astype(int)), 1)
    recall = {name: float(matrix[i, i] / matrix[i].sum()) for i, name in enumerate(class_names) if matrix[i].sum()}
    return {"metrics": {"accuracy": float((pred == y_true).mean())}, "confusion_matrix": matrix.tolist(),
            "class_names": class_names, "recall": recall}


@dataclass(frozen=True)
class ClassificationTask(Task):
    loss: str = "sparse_categorical_crossentropy"
    metrics: tuple[str, ...] = ("accuracy",)
    monitor: str = "val_accuracy"
    mode: str = "max"
    headline: str = "accuracy"
    higher_is_better: bool = True

    def evaluate(self, bundle: Any, outputs: np.ndarray, predictor: Any) -> dict[str, Any]:
        return classification_metrics(bundle.y_test, outputs, list(bundle.spec.class_names or []))

    def headline_metric(self, bundle: Any, outputs: np.ndarray, y: np.ndarray) -> float:
        return float((outputs.argmax(-1) == y).mean())
