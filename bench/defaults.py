"""Benchmark: dlterm's defaults against tuned runs, on real data the defaults were not tuned on.

* digits: scikit-learn's bundled 1,797 8x8 handwritten digits (10 classes), written as
  PNG files into a class-per-folder tree and read through `--data DIR` as a user's folder
  (1,259 train / 269 validation / 269 test; resized to 28x28, the image folder default).
  cnn, resnet and vgg with no settings at all, the cnn's former fixed 5 epochs, and tuned
  runs; a support-vector machine on the same pixels as a reference.
* mnist: the 10k real MNIST digits of mnist_cnn.py, cnn with no settings (the tuned run
  is mnist_options.py's).

    python bench/defaults.py digits cnn    # or resnet, vgg (one file each: each run stays short)
    python bench/defaults.py digits cnn defaults   # only the variants starting with "defaults"
    python bench/defaults.py mnist
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from common import build_mnist_npz, dlterm, save

TUNED = ["--epochs", "60", "--patience", "15", "--schedule", "cosine", "--augment"]
DIGITS_RUNS = [
    ("cnn", "defaults (no settings)", []),
    ("cnn", "former defaults: 5 fixed epochs, no augmentation", ["--epochs", "5", "--no-augment"]),
    ("cnn", "tuned: 60 epochs, patience 15, cosine, augmentation", TUNED),
    ("cnn", "tuned, no augmentation", ["--epochs", "60", "--patience", "15", "--schedule", "cosine", "--no-augment"]),
    ("resnet", "defaults (no settings)", []),
    ("resnet", "tuned: 60 epochs, patience 15, cosine, augmentation", TUNED),
    ("vgg", "defaults (no settings)", []),
    ("vgg", "tuned: 60 epochs, patience 15, cosine, augmentation", TUNED),
]


def digits_folder(root: Path) -> Path:
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    for i, (image, label) in enumerate(zip(digits.images, digits.target)):
        folder = root / "digits" / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray((image * (255 / 16)).astype(np.uint8)).save(folder / f"{i:04d}.png")
    return root / "digits"


def svm_reference(seeds: int = 5) -> float:
    """Mean test accuracy of an RBF support-vector machine on 70/30 splits (pixels as features)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.svm import SVC

    x, y = load_digits(return_X_y=True)
    scores = []
    for seed in range(seeds):
        x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.15, random_state=seed, stratify=y)
        scores.append(SVC(gamma=0.001, C=10).fit(x_tr, y_tr).score(x_te, y_te))
    return float(np.mean(scores))


def row(plugin: str, variant: str, args: list[str], env: dict[str, str]) -> dict:
    events, wall = dlterm(["train", plugin, *args], env)
    summary = events[-1]
    loaded = next(e for e in events if e["event"] == "data_loaded")
    evaluated = next(e for e in events if e["event"] == "evaluated")
    start = next(e for e in events if e["event"] == "run_start")
    result = {"plugin": plugin, "variant": variant, "args": args, "sizes": loaded["sizes"], "notes": loaded["notes"],
              "epochs_budget": start["epochs"], "epochs_run": summary["epochs_completed"],
              "best_val_accuracy": summary["best"]["value"], "test_accuracy": evaluated["metrics"]["accuracy"],
              "wall_seconds": round(wall, 1)}
    print(result, flush=True)
    return result


def main(which: str, plugin: str = "cnn", only: str = "") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DLTERM_HOME=str(Path(tmp) / "models"))
        if which == "digits":
            folder = digits_folder(Path(tmp))
            rows = [row(p, variant, ["--data", str(folder), *args], env) for p, variant, args in DIGITS_RUNS
                    if p == plugin and variant.startswith(only)]
            save(f"defaults_digits_{plugin}" + (f"_{only.split()[0]}" if only else ""), {"rows": rows, "svm_test_accuracy": svm_reference()})
        elif which == "mnist":
            build_mnist_npz(Path(tmp) / "keras")
            env["KERAS_HOME"] = str(Path(tmp) / "keras")
            save("defaults_mnist", {"rows": [row("cnn", "defaults (no settings)", ["--dataset", "mnist"], env)]})
        else:
            raise SystemExit("usage: python bench/defaults.py digits [cnn|resnet|vgg] | mnist")


if __name__ == "__main__":
    main(*sys.argv[1:4])
