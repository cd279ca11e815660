"""Benchmark: which dlterm training options improve the cnn on real MNIST (same data as mnist_cnn.py).

    python bench/mnist_options.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from common import build_mnist_npz, dlterm, dlterm_json, save

LIGHT_AUGMENT = ["--augment", "--set", "flip=none", "--set", "rotation=0.03", "--set", "shift=0.05",
                 "--set", "zoom=0.05", "--set", "shear=0"]
VARIANTS = {
    "defaults, 5 epochs": ["--epochs", "5"],
    "cosine, 5 epochs": ["--epochs", "5", "--schedule", "cosine"],
    "light augmentation + cosine, 5 epochs": ["--epochs", "5", "--schedule", "cosine", *LIGHT_AUGMENT],
    "light augmentation + cosine, 10 epochs": ["--epochs", "10", "--schedule", "cosine", *LIGHT_AUGMENT],
}


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        build_mnist_npz(Path(tmp) / "keras")
        env = dict(os.environ, KERAS_HOME=str(Path(tmp) / "keras"), DLTERM_HOME=str(Path(tmp) / "models"))
        for name, args in VARIANTS.items():
            events, wall = dlterm(["train", "cnn", "--dataset", "mnist", "--no-early-stopping", *args], env)
            run_id = events[-1]["run_id"]
            acc = {c: dlterm_json(["evaluate", run_id, "--checkpoint", c], env)["metrics"]["accuracy"] for c in ("final", "best")}
            rows.append({"variant": name, "test_accuracy_final": acc["final"], "test_accuracy_best_checkpoint": acc["best"],
                         "wall_seconds": round(wall, 1)})
    save("mnist_options", {"rows": rows})


if __name__ == "__main__":
    main()
