"""``dlterm predict``: one task-aware predictor for exported files and for runs.

An exported file goes through :mod:`dlterm.inference` alone (no TensorFlow). A run id
loads the run's Keras model behind the same :class:`~dlterm.inference.Predictor`, so both
give answers in the same form and can be compared.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from dlterm.inference import InferenceError, Predictor, load


def predictor_for(model: str, models_dir: Any = None) -> Predictor:
    path = Path(model)
    if path.suffix.lower() in (".onnx", ".tflite") or path.is_file():
        return load(path)
    from dlterm.export import export_metadata
    from dlterm.runstore import RunStore
    from dlterm.training.trainer import load_model

    run = RunStore(models_dir).get(model)
    keras_model = load_model(run.file("best.keras"), compile=False)

    def backend(inputs: dict[str, np.ndarray]) -> np.ndarray:
        x = list(inputs.values())
        return np.asarray(keras_model(x[0] if len(x) == 1 else x, training=False))

    return Predictor(backend, export_metadata(run, keras_model))


def read_inputs(predictor: Predictor, inputs: list[str]) -> list[Any]:
    """Command-line inputs in the form the task wants."""
    if predictor.task != "sequence-forecasting":
        return inputs
    if len(inputs) == 1 and inputs[0].lower().endswith(".csv"):
        return _csv_rows(Path(inputs[0]), predictor.prep["columns"])
    try:
        if len(predictor.prep["columns"]) > 1:  # one argument a row: "close,volume"
            return [[float(v) for v in item.split(",")] for item in inputs]
        return [float(v) for item in inputs for v in item.replace(",", " ").split()]
    except ValueError:
        raise InferenceError("forecasting input must be numbers, oldest first (a row 'a,b' per argument for "
                             "several columns), or one CSV file") from None


def _csv_rows(path: Path, columns: list[str]) -> list[list[float]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        raise InferenceError(f"cannot read {path}: {e.strerror}") from None
    if len(rows) < 2:
        raise InferenceError(f"{path} has no data rows")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in columns if c not in header]
    if missing:
        raise InferenceError(f"{path} lacks the column(s) the model was trained on: {', '.join(missing)}")
    idx = [header.index(c) for c in columns]
    try:
        return [[float(r[i]) for i in idx] for r in rows[1:] if any(cell.strip() for cell in r)]
    except (ValueError, IndexError):
        raise InferenceError(f"{path}: non-numeric values in {', '.join(columns)}") from None
