"""Benchmark: `dlterm bench` tables for a cnn run on real MNIST and an lstm run on airline passengers.

    python bench/edge.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common import SHARED, build_mnist_npz, dlterm, save


def bench_rows(run_id: str, env: dict) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "dlterm", "bench", run_id, "--repeats", "200", "--json"], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        build_mnist_npz(Path(tmp) / "keras")
        env = dict(os.environ, KERAS_HOME=str(Path(tmp) / "keras"), DLTERM_HOME=str(Path(tmp) / "models"))
        cnn, _ = dlterm(["train", "cnn", "--dataset", "mnist", "--epochs", "5"], env)
        lstm, _ = dlterm(["train", "lstm", "--data", str(SHARED / "airline-passengers.csv"), "--window", "12",
                          "--epochs", "100", "--patience", "15"], env)
        result = {"cnn_mnist": bench_rows(cnn[-1]["run_id"], env), "lstm_airline": bench_rows(lstm[-1]["run_id"], env)}
    save("edge", result)


if __name__ == "__main__":
    main()
