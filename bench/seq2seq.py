"""Benchmark: seq2seq on the English-French pairs (character level, the Keras example's data).

The first 10,000 pairs of fra.txt (the Keras lstm_seq2seq example uses the same slice),
70/15/15 split; greedy decoding of the test sources; character accuracy and exact match
next to the positional baseline, and decoded examples.

    python bench/seq2seq.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from common import SHARED, dlterm, dlterm_json, save


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DLTERM_HOME=str(Path(tmp) / "models"))
        events, wall = dlterm(["train", "seq2seq", "--data", str(SHARED / "fra.txt"), "--epochs", "40", "--patience", "4",
                               "--set", "units=256", "--set", "data.limit=10000"], env)
        summary = events[-1]
        ev = dlterm_json(["evaluate", summary["run_id"]], env)
        result = {"wall_seconds": round(wall, 1), "epochs_run": summary["epochs_completed"], "samples": ev["samples"],
                  **ev["metrics"], "examples": ev["examples"]}
    save("seq2seq", result)


if __name__ == "__main__":
    main()
