"""Benchmark: lstm and gru forecasters on real series against the baselines every
evaluation reports on the same test split: naive (next = last), seasonal naive (last + the
change one period earlier, period detected) and a linear model on the same window.

* airline-passengers.csv: 144 monthly totals, window 12.
* AAPL.csv Close: 10,538 daily prices, window 60 (the seed tutorial's stock example).

    python bench/forecast.py            # every series
    python bench/forecast.py airline    # one series (its rows replace that series' old ones)
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from common import RESULTS, SHARED, dlterm, dlterm_json, save

CASES = [
    ("airline", SHARED / "airline-passengers.csv", "Passengers", 12, 100),
    ("aapl_close", SHARED / "AAPL.csv", "Close", 60, 10),
]


def main(only: list[str]) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DLTERM_HOME=str(Path(tmp) / "models"))
        for name, path, column, window, epochs in CASES:
            if only and name not in only:
                continue
            for plugin in ("lstm", "gru"):
                events, wall = dlterm(["train", plugin, "--data", str(path), "--column", column, "--window", str(window),
                                       "--epochs", str(epochs), "--patience", "15"], env)
                summary = events[-1]
                result = dlterm_json(["evaluate", summary["run_id"]], env)
                ev = result["metrics"]
                rows.append({"series": name, "plugin": plugin, "window": window, "epochs_run": summary["epochs_completed"],
                             "rmse": ev["rmse"], "naive_rmse": ev["naive_rmse"], "mae": ev["mae"], "naive_mae": ev["naive_mae"],
                             "rmse_vs_naive": ev["rmse_vs_naive"], "wall_seconds": round(wall, 1),
                             "baselines": result.get("baselines", []), "notes": result.get("notes", [])})
    if only and (RESULTS / "forecast.json").is_file():  # keep the other series' rows
        kept = [r for r in json.loads((RESULTS / "forecast.json").read_text())["rows"] if r["series"] not in only]
        rows = kept + rows
    save("forecast", {"rows": rows})


if __name__ == "__main__":
    main(sys.argv[1:])
