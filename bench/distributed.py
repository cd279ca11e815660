"""Benchmark: one process vs `dlterm launch --workers 2` on this machine (same model, data, global batch).

    python bench/distributed.py

On 2 CPU cores expect no speed-up (the workers share the same cores and add collective
communication); the point is that the result is the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import dlterm, save

ARGS = ["train", "cnn", "--epochs", "3", "--no-early-stopping", "--seed", "1"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DLTERM_HOME=str(Path(tmp) / "models"))
        events, single_wall = dlterm(ARGS, env)
        single = events[-1]
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "dlterm", "launch", "--workers", "2", "--json", "--", *ARGS],
                             env=env, capture_output=True, text=True, check=True)
        multi_wall = time.perf_counter() - t0
        multi = json.loads(out.stdout.splitlines()[-1])
    save("distributed", {
        "model": "cnn on shapes (2,100 train), 3 epochs, global batch 32",
        "one_process": {"wall_seconds": round(single_wall, 1), "best_val_accuracy": single["best"]["value"]},
        "two_workers": {"wall_seconds": round(multi_wall, 1), "best_val_accuracy": multi["best"]["value"]},
    })


if __name__ == "__main__":
    main()
