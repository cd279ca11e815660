"""Time series for forecasting: windows of past values -> the next value of the target.

Windows are made relative to their own last value: the model sees
``(window - window[-1]) / scale`` and learns the scaled change to the next step, so a
trend that leaves the training range (prices, passengers) does not push inputs outside
what the model has seen. ``scale`` is each column's standard deviation on the training
part only. A forecast in original units is ``last + change * scale[target]``; the naive
forecast (next = last) is a change of zero. Splits are chronological: a window belongs to
the split its target falls in.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from dlterm.datasets.base import DataBundle
from dlterm.datasets.memory import check_arrays
from dlterm.errors import DltermError
from dlterm.limits import MAX_DATA_BYTES, read_bytes
from dlterm.plugin_api import DataSpec, TensorSpec
from dlterm_edge.preprocess import relative_windows, to_units  # noqa: F401 - shared with devices


def windows_bundle(name: str, values: np.ndarray, columns: list[str], settings: dict[str, Any]) -> DataBundle:
    """Cut ``values`` (time x features; the first feature is the target) into windows."""
    window = settings["window"]
    n = len(values)
    n_test = int(round(n * settings["test_fraction"]))
    n_val = int(round(n * settings["val_fraction"]))
    n_train = n - n_val - n_test
    if n_train <= window + 1 or n_val < 1 or n_test < 1:
        raise DltermError(f"series '{name}' has {n} rows: too short for a window of {window} plus validation and test parts",
                          f"use a smaller --window (at most about {max(1, n_train - 2)}) or a longer series")
    # windows are built in float64 (raw, relative) before the float32 model input
    check_arrays(name, n, window * values.shape[1], "lower data.window or use a shorter series", bytes_per_value=20)
    std = values[:n_train].std(axis=0)
    scale = np.where(std > 0, std, 1.0)
    prep = {"kind": "series", "window": window, "columns": columns, "target": columns[0],
            "offset": "last", "scale": scale.tolist()}
    raw = np.stack([values[i - window:i] for i in range(window, n)])
    x = relative_windows(raw, prep)
    last = raw[:, -1, 0]
    y = ((values[window:, 0] - last) / scale[0]).astype(np.float32)[:, None]
    target_index = np.arange(window, n)
    tr = target_index < n_train
    va = (target_index >= n_train) & (target_index < n_train + n_val)
    te = target_index >= n_train + n_val
    spec = DataSpec("sequence-forecasting", (TensorSpec("window", (window, values.shape[1])),), (1,))
    bundle = DataBundle(name, spec, x[tr], y[tr], x[va], y[va], x[te], y[te], prep)
    bundle.extra["last_test"] = last[te]
    bundle.extra["last_rows_test"] = raw[te][:, -1, :]  # every column's last value: raw windows can be rebuilt
    # For the seasonal baseline: the whole target column, where test targets sit, the
    # training length (a period is detected there only) and a declared period (0 = detect).
    bundle.extra.update(target_series=values[:, 0], test_targets_at=target_index[te], train_rows=n_train,
                        period=int(settings.get("period") or 0))
    return bundle


def read_csv_columns(path: Path, wanted: list[str]) -> tuple[np.ndarray, list[str]]:
    """Numeric columns of a CSV with a header row; ``wanted`` empty = its only numeric column."""
    raw = read_bytes(path, MAX_DATA_BYTES, "CSV file", "give a .csv file to --data")
    try:
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    except (UnicodeDecodeError, csv.Error) as e:
        raise DltermError(f"{path} is not a readable text CSV: {e}", "give a UTF-8 CSV with a header row") from None
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if len(rows) < 2:
        raise DltermError(f"CSV {path} has no data rows", "it needs a header row and at least one row of values")
    header = [h.strip() for h in rows[0]]
    body = rows[1:]

    def numeric(col: int) -> np.ndarray | None:
        try:
            return np.array([float(r[col]) for r in body], dtype=np.float64)
        except (ValueError, IndexError):
            return None

    if not wanted:
        numeric_cols = [h for i, h in enumerate(header) if numeric(i) is not None]
        if len(numeric_cols) != 1:
            found = ", ".join(numeric_cols) or "none"
            raise DltermError(f"CSV {path}: choose the column to forecast (numeric columns: {found})",
                              "pass --column NAME (repeat it to add input features; the first is the target)")
        wanted = numeric_cols
    out = []
    for name in wanted:
        if name not in header:
            raise DltermError(f"CSV {path} has no column {name!r}", f"its columns: {', '.join(header)}")
        col = numeric(header.index(name))
        if col is None:
            raise DltermError(f"CSV {path}: column {name!r} has non-numeric or missing values", "choose a numeric column with --column")
        if not np.all(np.isfinite(col)):
            raise DltermError(f"CSV {path}: column {name!r} has NaN or infinite values", "clean the column first")
        out.append(col)
    return np.stack(out, axis=1), list(wanted)


def load_csv(settings: dict[str, Any], seed: int) -> DataBundle:
    path = Path(settings["path"]).expanduser()
    columns = [c.strip() for c in settings["column"].split(",") if c.strip()]
    values, columns = read_csv_columns(path, columns)
    return windows_bundle(path.stem, values, columns, settings)
