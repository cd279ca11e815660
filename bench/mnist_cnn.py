"""Benchmark: dlterm's cnn on real MNIST digits vs a plain Keras script, and its overhead.

Data: the 10k MNIST t10k images in ../shared/datasets/mnist_idx, turned into a Keras
mnist.npz in a temporary Keras cache (first 8,000 train, last 2,000 test), read through
`dlterm train --dataset mnist` (the Keras dataset path).

    python bench/mnist_cnn.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import build_mnist_npz, dlterm, dlterm_json, save

EPOCHS = 5


def plain(npz: Path, momentum: float) -> dict:
    out = subprocess.run([sys.executable, str(Path(__file__).parent / "plain_keras_cnn.py"), str(npz), str(EPOCHS), str(momentum)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def dlterm_run(env: dict, *extra: str) -> dict:
    events, wall = dlterm(["train", "cnn", "--dataset", "mnist", "--epochs", str(EPOCHS), "--no-early-stopping", *extra], env)
    start = next(e for e in events if e["event"] == "run_start")
    summary = events[-1]
    fit_seconds = summary["time"] - start["time"]
    ev = dlterm_json(["evaluate", summary["run_id"], "--checkpoint", "final"], env)
    return {"test_accuracy": ev["metrics"]["accuracy"], "fit_seconds": fit_seconds, "run_id": summary["run_id"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        npz = build_mnist_npz(Path(tmp) / "keras")
        env = dict(os.environ, KERAS_HOME=str(Path(tmp) / "keras"), DLTERM_HOME=str(Path(tmp) / "models"))
        seed_plain = plain(npz, 0.99)
        same = dlterm_run(env)
        best = dlterm_run(env, "--augment", "--set", "flip=none", "--schedule", "cosine")
        # Overhead: the same model (BN momentum 0.9, as dlterm's cnn) in plain Keras vs dlterm, alternating.
        plain_times, dlterm_times = [], []
        for _ in range(args.repeats):
            plain_times.append(plain(npz, 0.9)["fit_seconds"])
            dlterm_times.append(dlterm_run(env)["fit_seconds"])
    result = {
        "data": "MNIST t10k: 6,800 train / 1,200 validation / 2,000 test", "epochs": EPOCHS, "batch_size": 32,
        "plain_keras_seed_cnn_test_accuracy": seed_plain["test_accuracy"],
        "dlterm_cnn_test_accuracy": same["test_accuracy"],
        "dlterm_cnn_augment_cosine_test_accuracy": best["test_accuracy"],
        "plain_fit_seconds_median": statistics.median(plain_times),
        "dlterm_fit_seconds_median": statistics.median(dlterm_times),
        "overhead_ratio": statistics.median(dlterm_times) / statistics.median(plain_times),
        "plain_fit_seconds": plain_times, "dlterm_fit_seconds": dlterm_times,
    }
    save("mnist_cnn", result)


if __name__ == "__main__":
    main()
