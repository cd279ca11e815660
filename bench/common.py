"""Helpers shared by the benchmarks: paths, running dlterm, timing, writing results."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DLTERM_SHARED_DATASETS", REPO.parent / "shared" / "datasets"))
RESULTS = REPO / "bench" / "results"


def dlterm(args: list[str], env: dict[str, str]) -> tuple[list[dict], float]:
    """Run `dlterm ... --json`; return its events and the process wall time."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "dlterm", *args, "--json"], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"dlterm {' '.join(args)} failed:\n{proc.stderr}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")], wall


def dlterm_json(args: list[str], env: dict[str, str]) -> dict:
    proc = subprocess.run([sys.executable, "-m", "dlterm", *args, "--json"], env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def build_mnist_npz(keras_home: Path) -> Path:
    """A Keras-format mnist.npz from the shared t10k IDX files: first 8,000 train, last 2,000 test."""
    x = read_idx(SHARED / "mnist_idx" / "t10k-images-idx3-ubyte.gz")
    y = read_idx(SHARED / "mnist_idx" / "t10k-labels-idx1-ubyte.gz")
    target = keras_home / "datasets" / "mnist.npz"
    target.parent.mkdir(parents=True, exist_ok=True)
    np.savez(target, x_train=x[:8000], y_train=y[:8000], x_test=x[8000:], y_test=y[8000:])
    return target


def save(name: str, result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
