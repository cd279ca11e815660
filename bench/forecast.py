"""Benchmark: lstm and gru forecasters on real series vs the naive (next = last) forecast.

* airline-passengers.csv: 144 monthly totals, window 12.
* AAPL.csv Close: 10,538 daily prices, window 60 (the seed tutorial's stock example).

    python bench/forecast.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from common import SHARED, dlterm, dlterm_json, save

CASES = [
    ("airline", SHARED / "airline-passengers.csv", "Passengers", 12, 100),
    ("aapl_close", SHARED / "AAPL.csv", "Close", 60, 10),
]


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DLTERM_HOME=str(Path(tmp) / "models"))
        for name, path, column, window, epochs in CASES:
            for plugin in ("lstm", "gru"):
                events, wall = dlterm(["train", plugin, "--data", str(path), "--column", column, "--window", str(window),
                                       "--epochs", str(epochs), "--patience", "15"], env)
                summary = events[-1]
                ev = dlterm_json(["evaluate", summary["run_id"]], env)["metrics"]
                rows.append({"series": name, "plugin": plugin, "window": window, "epochs_run": summary["epochs_completed"],
                             "rmse": ev["rmse"], "naive_rmse": ev["naive_rmse"], "mae": ev["mae"], "naive_mae": ev["naive_mae"],
                             "rmse_vs_naive": ev["rmse_vs_naive"], "wall_seconds": round(wall, 1)})
    save("forecast", {"rows": rows})


if __name__ == "__main__":
    main()
