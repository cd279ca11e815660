"""What image and text classification share: accuracy, a confusion matrix, per-class scores,
the worst examples and the baselines (:mod:`dlterm.tasks.class_analysis`).

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
    """Accuracy, macro F1, the confusion matrix, per-class scores and the most-confused pairs."""
    from sklearn.metrics import confusion_matrix

    from dlterm.tasks.class_analysis import confused_pairs, per_class, scores

    pred = probs.argmax(axis=-1)
    matrix = confusion_matrix(y_true, pred, labels=list(range(len(class_names)))).tolist()
    classes = per_class(y_true, pred, class_names)
    return {"metrics": scores(y_true, pred), "confusion_matrix": matrix, "class_names": class_names,
            "recall": {c["label"]: c["recall"] for c in classes if c["support"]},  # kept for older readers: see per_class
            "per_class": classes, "confused_pairs": confused_pairs(matrix, class_names)}


@dataclass(frozen=True)
class ClassificationTask(Task):
    loss: str = "sparse_categorical_crossentropy"
    metrics: tuple[str, ...] = ("accuracy",)
    monitor: str = "val_accuracy"
    mode: str = "max"
    headline: str = "accuracy"
    higher_is_better: bool = True

    def evaluate(self, bundle: Any, outputs: np.ndarray, predictor: Any, worst: int = 10) -> dict[str, Any]:
        from dlterm.tasks.class_analysis import linear_baseline, majority_baseline, worst_examples

        names = list(bundle.spec.class_names or [])
        result = classification_metrics(bundle.y_test, outputs, names)
        # Image folders keep their test file names, text datasets their texts.
        sources = bundle.extra.get("test_files") or bundle.extra.get("test_texts")
        result["worst"] = worst_examples(bundle.y_test, outputs, names, worst, sources)
        baselines = [majority_baseline(bundle.y_train, bundle.y_test)]
        linear = linear_baseline(bundle.x_train, bundle.y_train, bundle.x_test, bundle.y_test, tokens=self.text_input,
                                 vocabulary_size=len((bundle.preprocessing or {}).get("vocabulary") or []))
        if linear is not None:
            baselines.append(linear)
        result["baselines"] = baselines
        return {**result, **self.headline_fields()}

    def headline_metric(self, bundle: Any, outputs: np.ndarray, y: np.ndarray) -> float:
        return float((outputs.argmax(-1) == y).mean())
