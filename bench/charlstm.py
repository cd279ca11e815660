"""Benchmark: charlstm on tiny Shakespeare after a fixed time budget.

Trains on the whole 1.1 MB corpus (90% train, 5% validation, 5% test, split by position)
for `--set max_minutes=BUDGET` and reports validation and test bits per character next
to the unigram baseline (character frequencies alone), and a generated sample.

    python bench/charlstm.py [BUDGET_MINUTES]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from common import SHARED, dlterm, dlterm_json, save


def main() -> None:
    budget = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DLTERM_HOME=str(Path(tmp) / "models"))
        events, wall = dlterm(["train", "charlstm", "--data", str(SHARED / "tinyshakespeare_input.txt"), "--epochs", "1000",
                               "--set", f"max_minutes={budget}", "--set", "data.val_fraction=0.05",
                               "--set", "data.test_fraction=0.05", "--no-early-stopping"], env)
        summary = events[-1]
        evaluated = next(e for e in events if e["event"] == "evaluated")["metrics"]
        run_id = summary["run_id"]
        sample = dlterm_json(["predict", run_id, "ROMEO:", "--length", "300", "--temperature", "0.7", "--seed", "1"], env)
        result = {"budget_minutes": budget, "wall_seconds": round(wall, 1), "epochs_run": summary["epochs_completed"],
                  "best_val_loss_nats": summary["best"]["value"],
                  "val_bits_per_char": summary["best"]["value"] / 0.6931471805599453,
                  "test_bits_per_char": evaluated["bits_per_char"],
                  "unigram_bits_per_char": evaluated["unigram_bits_per_char"],
                  "sample_seed": "ROMEO:", "sample": sample[0]["output"]}
    save("charlstm", result)


if __name__ == "__main__":
    main()
