"""Command-line inputs in the form each task wants (shared by ``dlterm predict`` and
``dlterm-edge predict``): image paths as given; numbers, rows or one CSV file for
forecasting; texts or ``@file.txt`` for text tasks."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from dlterm_edge.errors import InferenceError

TEXT_TASKS = ("text-classification", "sequence-to-sequence", "text-generation")


def read_inputs(predictor: Any, inputs: list[str]) -> list[Any]:
    """Command-line inputs in the form the task wants."""
    if predictor.task in TEXT_TASKS:
        return [_text_argument(i) for i in inputs]
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


def _text_argument(item: str) -> str:
    """A text argument, or ``@file.txt`` for a text file's contents."""
    if item.startswith("@"):
        try:
            return Path(item[1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise InferenceError(f"cannot read {item[1:]}: {getattr(e, 'strerror', None) or e}") from None
    return item


def _csv_rows(path: Path, columns: list[str]) -> list[list[float]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        raise InferenceError(f"cannot read {path}: {e.strerror}") from None
    except (UnicodeDecodeError, csv.Error) as e:
        raise InferenceError(f"{path} is not a readable CSV file: {str(e).splitlines()[0][:120]}") from None
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
