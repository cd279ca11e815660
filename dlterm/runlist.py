"""Choosing, ordering and exporting runs for ``dlterm runs``.

Filters and sorting are pure functions over :class:`~dlterm.runstore.Run` objects, so the
CLI, the dashboard and tests share them. The CSV is for spreadsheets: one row per run,
plain values, and text from run folders (untrusted) can not turn into a formula.
"""

from __future__ import annotations

import csv
import io
import time
from typing import Any, Callable

from dlterm.compare import number
from dlterm.errors import DltermError
from dlterm.runstore import STATUSES, Run

SORT_KEYS = ("created", "best", "plugin", "dataset", "status", "epochs", "params")
CSV_COLUMNS = ("id", "plugin", "task", "dataset", "status", "epochs_completed", "epochs_planned", "best_monitor",
               "best_value", "best_epoch", "params", "created", "finished", "damaged")


def filter_runs(runs: list[Run], plugin: list[str] | None = None, status: list[str] | None = None,
                dataset: list[str] | None = None) -> list[Run]:
    """The runs that match every given filter (each filter: any of its values)."""
    unknown = [s for s in status or [] if s not in (*STATUSES, "damaged")]
    if unknown:
        raise DltermError(f"unknown status {unknown[0]!r}", f"choose from: {', '.join((*STATUSES, 'damaged'))}")

    def keep(run: Run) -> bool:
        return ((not plugin or run.meta.get("plugin") in plugin)
                and (not status or run.status in status)
                and (not dataset or run.meta.get("dataset") in dataset))

    return [r for r in runs if keep(r)]


def _best_key(run: Run) -> tuple:
    """Best first: runs are grouped by what they monitor (a loss and an accuracy do not
    compare), and within a group the better value leads; runs without a best go last."""
    best = run.meta.get("best") if isinstance(run.meta.get("best"), dict) else {}
    value = number(best.get("value"))
    if value is None:
        return (1, "", 0.0)
    monitor = str(best.get("monitor", ""))
    mode = best.get("mode") if best.get("mode") in ("min", "max") else ("min" if "loss" in monitor or "error" in monitor else "max")
    return (0, monitor, -value if mode == "max" else value)


SORTS: dict[str, tuple[Callable[[Run], Any], bool]] = {  # key, newest/largest first
    "created": (lambda r: number(r.meta.get("created")) or 0.0, True),
    "best": (_best_key, False),
    "plugin": (lambda r: str(r.meta.get("plugin", "")), False),
    "dataset": (lambda r: str(r.meta.get("dataset", "")), False),
    "status": (lambda r: r.status, False),
    "epochs": (lambda r: number(r.meta.get("epochs_completed")) or 0.0, True),
    "params": (lambda r: number(r.meta.get("params")) or 0.0, True),
}


def sort_runs(runs: list[Run], by: str = "created") -> list[Run]:
    """Sorted by ``by`` (newest, best, most epochs or parameters first; names A to Z);
    ties keep the newest first."""
    if by not in SORTS:
        raise DltermError(f"cannot sort runs by {by!r}", f"choose one of: {', '.join(SORT_KEYS)}")
    key, reverse = SORTS[by]
    newest_first = sorted(runs, key=SORTS["created"][0], reverse=True)
    return sorted(newest_first, key=key, reverse=reverse)


def _iso(value: Any) -> str:
    seconds = number(value)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(seconds)) if seconds is not None else ""


def _safe(value: Any) -> Any:
    """A spreadsheet cell that can not run: text starting like a formula is quoted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_row(run: Run) -> dict[str, Any]:
    meta = run.meta
    best = meta.get("best") if isinstance(meta.get("best"), dict) else {}
    ints = {k: meta.get(k) if isinstance(meta.get(k), int) and not isinstance(meta.get(k), bool) else ""
            for k in ("epochs_completed", "epochs_planned", "params")}
    value = number(best.get("value"))
    row = {"id": run.id, "plugin": meta.get("plugin", ""), "task": meta.get("task", ""), "dataset": meta.get("dataset", ""),
           "status": run.status, **ints, "best_monitor": best.get("monitor", "") if value is not None else "",
           "best_value": value if value is not None else "",
           "best_epoch": best.get("epoch") if value is not None and isinstance(best.get("epoch"), int) else "",
           "created": _iso(meta.get("created")), "finished": _iso(meta.get("finished")), "damaged": run.damaged or ""}
    return {k: _safe(v if isinstance(v, (int, float)) else str(v)) for k, v in row.items()}


def runs_csv(runs: list[Run]) -> str:
    """The runs as CSV text with a header row."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(csv_row(r) for r in runs)
    return buf.getvalue()
