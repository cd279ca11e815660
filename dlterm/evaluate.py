"""Evaluate a run's model on its test split.

Classification: accuracy, a confusion matrix and per-class recall. Forecasting: MAE and
RMSE in the series' original units, next to the naive forecast (tomorrow = today), which
a useful model must beat. The result is saved as ``evaluation.json`` in the run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlterm import datasets
from dlterm.errors import DltermError
from dlterm.fileio import write_json
from dlterm.runstore import Run

CHECKPOINTS = ("best", "last", "final")


def classification_metrics(y_true: np.ndarray, probs: np.ndarray, class_names: list[str]) -> dict[str, Any]:
    pred = probs.argmax(axis=-1)
    k = len(class_names)
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (y_true.astype(int), pred.astype(int)), 1)
    recall = {name: float(matrix[i, i] / matrix[i].sum()) for i, name in enumerate(class_names) if matrix[i].sum()}
    return {"metrics": {"accuracy": float((pred == y_true).mean())}, "confusion_matrix": matrix.tolist(),
            "class_names": class_names, "recall": recall}


def forecast_metrics(y_true: np.ndarray, y_pred: np.ndarray, last: np.ndarray, prep: dict[str, Any]) -> dict[str, Any]:
    """Errors in original units; ``last`` is each window's last observed target value."""
    from dlterm.datasets.series import to_units

    truth = to_units(y_true, last, prep)
    pred = to_units(y_pred, last, prep)
    naive = np.asarray(last, dtype=np.float64)

    def mae(a, b):
        return float(np.mean(np.abs(a - b)))

    def rmse(a, b):
        return float(np.sqrt(np.mean((a - b) ** 2)))

    return {"metrics": {"mae": mae(truth, pred), "rmse": rmse(truth, pred),
                        "naive_mae": mae(truth, naive), "naive_rmse": rmse(truth, naive),
                        "rmse_vs_naive": rmse(truth, pred) / (rmse(truth, naive) or 1.0)},
            "units": prep.get("target")}


def evaluate_run(run: Run, checkpoint: str = "best") -> dict[str, Any]:
    if checkpoint not in CHECKPOINTS:
        raise DltermError(f"unknown checkpoint {checkpoint!r}", f"choose one of: {', '.join(CHECKPOINTS)}")
    path = run.file(f"{checkpoint}.keras")
    if not path.is_file():
        hint = "the run has not finished; try --checkpoint last" if checkpoint == "final" else "the run has no completed epoch"
        raise DltermError(f"run {run.id} has no {checkpoint} checkpoint", hint)
    from dlterm.training.trainer import load_model

    model = load_model(path, compile=False)
    cfg = run.meta["config"]
    bundle = datasets.load(run.meta["dataset"], cfg["data"], cfg["training"]["seed"])
    probs = model.predict(bundle.x_test, batch_size=256, verbose=0)
    task = run.meta["task"]
    if task in ("image-classification", "text-classification"):
        result = classification_metrics(bundle.y_test, probs, list(bundle.spec.class_names or []))
    elif task == "sequence-forecasting":
        result = forecast_metrics(bundle.y_test, probs, bundle.extra["last_test"], bundle.preprocessing)
    else:
        raise DltermError(f"evaluation of {task} is not available yet", "see the README's roadmap")
    result = {"run_id": run.id, "checkpoint": checkpoint, "samples": int(len(bundle.y_test)), **result}
    write_json(run.file("evaluation.json"), result)
    return result
