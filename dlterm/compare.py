"""Side-by-side facts about several runs: the service behind ``dlterm compare`` and the
summary table of ``dlterm report``.

Returns plain data (the CLI renders it as a table, JSON or Markdown). Only the settings
that differ between the runs are kept: twenty identical training options hide the one
that changed. Everything comes from the run folders, which are untrusted: numbers are
checked to be numbers, and a record that is missing or malformed leaves its fields empty
rather than failing the comparison.
"""

from __future__ import annotations

import json
import math
from typing import Any

from dlterm.errors import DltermError
from dlterm.runstore import BENCH_JSON, Run

# History columns that are bookkeeping, not metrics.
NOT_METRICS = ("epoch", "seconds", "phase", "lr")
SECTIONS = ("hyperparameters", "training", "data")


def number(value: Any) -> float | None:
    """``value`` as a finite float, or None (for values read from untrusted files)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def settings_of(meta: dict[str, Any]) -> dict[str, Any]:
    """A run's settings as flat ``section.name`` keys (plus its plugin and dataset)."""
    out: dict[str, Any] = {"plugin": meta.get("plugin"), "dataset": meta.get("dataset")}
    config = meta.get("config") if isinstance(meta.get("config"), dict) else {}
    for section in SECTIONS:
        values = config.get(section)
        if isinstance(values, dict):
            out.update({f"{section}.{k}": v for k, v in values.items()})
    return out


def differing(settings: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The keys whose values are not the same in every run (a missing key counts as a
    value: a setting one plugin has and another lacks differs)."""
    keys: list[str] = []
    for s in settings:
        keys += [k for k in s if k not in keys]
    out = {}
    for key in keys:
        values = [s.get(key) for s in settings]
        if len({json.dumps(v, sort_keys=True, default=str) for v in values}) > 1:
            out[key] = values
    return out


def wall_seconds(run: Run, history: list[dict[str, float]]) -> float | None:
    """Training time: the sum of the epochs' times (true for resumed runs too), else the
    time from creation to finish."""
    seconds = [number(row.get("seconds")) for row in history]
    if seconds and all(s is not None for s in seconds):
        return sum(seconds)  # type: ignore[arg-type]
    start, end = number(run.meta.get("created")), number(run.meta.get("finished"))
    return end - start if start is not None and end is not None and end >= start else None


def final_metrics(run: Run, history: list[dict[str, float]]) -> dict[str, float]:
    """The last epoch's metrics (from history.csv, else run.json's ``metrics``)."""
    row = history[-1] if history else (run.meta.get("metrics") or {})
    return {k: v for k, v in ((k, number(v)) for k, v in row.items() if k not in NOT_METRICS) if v is not None}


def best_of(meta: dict[str, Any]) -> dict[str, Any] | None:
    best = meta.get("best")
    if not isinstance(best, dict) or number(best.get("value")) is None:
        return None
    return {"monitor": str(best.get("monitor", "")), "value": float(best["value"]),
            "epoch": best.get("epoch") if isinstance(best.get("epoch"), int) else None,
            "mode": best.get("mode") if best.get("mode") in ("min", "max") else None}


def bench_latencies(run: Run) -> dict[tuple[str, str], float]:
    """Median batch-1 latency per (format, quantization) from the run's last ``dlterm
    bench`` (bench.json, untrusted); Keras is ``("keras", "none")``."""
    record = run.record(BENCH_JSON)
    rows = record.get("rows") if record else None
    out = {}
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or not isinstance(row.get("variant"), str) or number(row.get("latency_ms_median")) is None:
            continue
        name, _, detail = row["variant"].partition(" (")
        detail = detail.rstrip(")")
        key = (name, "none" if name != "tflite" or detail == "none" else detail)
        out[key] = float(row["latency_ms_median"])
    return out


def export_facts(run: Run) -> list[dict[str, Any]]:
    """Each export: format, quantization, size, whether it was verified and, where
    ``dlterm bench`` measured it, batch-1 latency."""
    from dlterm.export import exports_of  # numpy: only when exports are read

    latencies = bench_latencies(run)
    out = []
    for record in exports_of(run):
        key = (record["format"], record["quantize"])
        out.append({"format": record["format"], "quantize": record["quantize"],
                    "size_bytes": number(record.get("size_bytes")), "verified": record.get("verified") is True,
                    "latency_ms": latencies.get(key, number(record.get("latency_ms_median"))),
                    "metric": record["metric"], "export_metric": number(record.get("export_metric"))})
    return out


def run_facts(run: Run) -> dict[str, Any]:
    """What ``compare`` shows of one run."""
    from dlterm.evaluate import evaluation_of

    history = run.history()
    meta = run.meta
    evaluation = evaluation_of(run)
    params = meta.get("params")
    return {
        "id": run.id, "plugin": meta.get("plugin"), "task": meta.get("task"), "dataset": meta.get("dataset"),
        "status": run.status,
        "epochs": meta.get("epochs_completed") if isinstance(meta.get("epochs_completed"), int) else len(history),
        "wall_seconds": wall_seconds(run, history),
        "params": params if isinstance(params, int) and not isinstance(params, bool) else None,
        "best": best_of(meta),
        "final": final_metrics(run, history),
        "test": dict(evaluation["metrics"]) if evaluation else {},
        "keras_latency_ms": bench_latencies(run).get(("keras", "none")),
        "exports": export_facts(run),
    }


def compare_runs(runs: list[Run]) -> dict[str, Any]:
    """``{"runs": [facts per run], "settings": {key: [value per run]}}`` with only the
    settings that differ. Damaged runs are refused: they have nothing to compare."""
    if not runs:
        raise DltermError("no runs to compare", "name at least one run, e.g. `dlterm compare RUN RUN`")
    seen = set()
    for run in runs:
        if run.damaged:
            raise DltermError(f"run {run.id} is damaged ({run.damaged})", "leave it out of the comparison")
        if run.id in seen:
            raise DltermError(f"run {run.id} is named twice", "name each run once")
        seen.add(run.id)
    settings = differing([settings_of(r.meta) for r in runs]) if len(runs) > 1 else {}
    return {"runs": [run_facts(r) for r in runs], "settings": settings}
