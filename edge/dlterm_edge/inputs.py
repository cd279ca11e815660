"""Command-line inputs in the form each task wants (shared by ``dlterm predict`` and
``dlterm-edge predict``): image paths as given; numbers, rows or one CSV file for
forecasting; texts or ``@file.txt`` for text tasks."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from dlterm_edge.errors import InferenceError
from dlterm_edge.limits import MAX_CSV_BYTES, MAX_TEXT_BYTES, read_bytes

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
    """A text argument, or ``@file.txt`` for a text file's contents (a regular file under
    the text cap: a FIFO or /dev/zero is refused, never read)."""
    if item.startswith("@"):
        path = Path(item[1:]).expanduser()
        try:
            return read_bytes(path, MAX_TEXT_BYTES, "text file").decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InferenceError(f"text file {path} is not UTF-8 text") from None
    return item


def _csv_rows(path: Path, columns: list[str]) -> list[list[float]]:
    data = read_bytes(path.expanduser(), MAX_CSV_BYTES, "CSV file")  # regular file, under the cap
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
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
