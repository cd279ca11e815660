"""Benchmark: the baselines `dlterm evaluate` reports, on the exact splits of the other
benchmarks, without training a network (the baselines do not depend on it).

* MNIST as in mnist_cnn.py (6,800 train / 2,000 test): majority and logistic regression
  on the pixels (a seeded 5,000-sample subsample of the training split).
* Pang & Lee and UCI sentences as in text_classification.py (seed 42, 50 tokens, 20k
  words): majority and a TF-IDF logistic regression on the model's tokens.
* airline passengers and AAPL Close as in forecast.py: naive, seasonal naive (period
  detected) and linear least squares on the window.

    python bench/baselines.py
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from common import build_mnist_npz, save
from forecast import CASES
from text_classification import polarity_csv, uci_tsv

SEED = 42  # dlterm's default seed: the splits the benchmarks' runs used


def classification(name: str, bundle, tokens: bool) -> dict:
    from dlterm.tasks.class_analysis import linear_baseline, majority_baseline

    t0 = time.perf_counter()
    vocabulary = len(bundle.preprocessing.get("vocabulary") or [])
    baselines = [majority_baseline(bundle.y_train, bundle.y_test),
                 linear_baseline(bundle.x_train, bundle.y_train, bundle.x_test, bundle.y_test, tokens, vocabulary)]
    return {"data": name, "sizes": bundle.sizes(), "baselines": baselines, "seconds": round(time.perf_counter() - t0, 1)}


def main() -> None:
    from dlterm import datasets
    from dlterm.tasks.forecast_baselines import forecast_baselines
    from dlterm_edge.preprocess import to_units

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        build_mnist_npz(Path(tmp) / "keras")
        os.environ["KERAS_HOME"] = str(Path(tmp) / "keras")
        rows.append(classification("mnist", datasets.load("mnist", {}, SEED), tokens=False))
        for name, path in (("rt-polarity", polarity_csv(Path(tmp))), ("uci-sentences", uci_tsv(Path(tmp)))):
            bundle = datasets.load("text", {"path": str(path), "max_length": 50, "max_words": 20000}, SEED)
            rows.append(classification(name, bundle, tokens=True))
    for name, path, column, window, _ in CASES:
        bundle = datasets.load("csv", {"path": str(path), "column": column, "window": window}, SEED)
        truth = to_units(bundle.y_test, bundle.extra["last_test"], bundle.preprocessing)
        baselines, notes = forecast_baselines(bundle, truth)
        rows.append({"data": name, "sizes": bundle.sizes(), "baselines": baselines, "notes": notes})
    for row in rows:
        print(row["data"], [(b["name"], b["metrics"]) for b in row["baselines"]], flush=True)
    save("baselines", {"rows": rows})


if __name__ == "__main__":
    main()
