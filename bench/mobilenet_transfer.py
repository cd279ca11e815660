"""Benchmark: mobilenet on ants vs bees, transferring from a base dlterm pretrained on MNIST.

No ImageNet weights are available offline here, so the pretrained base comes from the
real data we have: MobileNetV2 (alpha 0.35, 96x96) trained from scratch on 8,000 MNIST
digits. Then, on the 245 + 153 ants/bees photos (hymenoptera_data, train/ and val/; the
val/ folder is halved into validation and test), three ways, 20 epochs each, 3 seeds
(each seed also draws its own validation/test halves; the ways are compared per seed):

* transfer, the recipe for a base from very different images: 5 epochs of head on the
  frozen base, then every layer, BatchNorm included (`adapt_batchnorm`), at 1e-3;
* transfer, the seed tutorial's recipe for ImageNet bases: 10 head epochs, then the top
  30 layers at 1e-4 with BatchNorm kept frozen;
* from scratch: the same network with `--weights none`.

    python bench/mobilenet_transfer.py
"""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path

from common import SHARED, build_mnist_npz, dlterm, save

SEEDS = (1, 2, 3)


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        build_mnist_npz(Path(tmp) / "keras")
        env = dict(os.environ, DLTERM_HOME=str(Path(tmp) / "models"), KERAS_HOME=str(Path(tmp) / "keras"))
        events, wall = dlterm(["train", "mobilenet", "--dataset", "mnist", "--epochs", "4", "--set", "input_size=96"], env)
        pre = events[-1]
        pretraining = {"epochs_run": pre["epochs_completed"], "wall_seconds": round(wall, 1),
                       "test_accuracy": next(e for e in events if e["event"] == "evaluated")["metrics"]["accuracy"]}
        print(pretraining, flush=True)
        base = f"--weights=run:{pre['run_id']}"
        ways = [("transfer: head 5, then all layers + BatchNorm at 1e-3", [base, "--epochs", "5", "--set", "fine_tune_epochs=15",
                 "--set", "fine_tune_lr=1e-3", "--set", "fine_tune_layers=1000", "--set", "adapt_batchnorm=true"]),
                ("transfer: head 10, then top 30 layers at 1e-4 (BatchNorm frozen)", [base, "--epochs", "10",
                 "--set", "fine_tune_epochs=10", "--set", "fine_tune_lr=1e-4"]),
                ("from scratch", ["--weights", "none", "--epochs", "20"])]
        for seed in SEEDS:
            data = ["--data", str(SHARED / "hymenoptera_data"), "--image-size", "96", "--no-early-stopping", "--seed", str(seed)]
            for label, args in ways:
                events, wall = dlterm(["train", "mobilenet", *data, *args], env)
                summary = events[-1]
                test = next(e for e in events if e["event"] == "evaluated")["metrics"]["accuracy"]
                sizes = next(e for e in events if e["event"] == "data_loaded")["sizes"]
                val = summary["best"]["value"]
                # Pooled over both halves of val/ (76 + 77 images): less noisy than either alone.
                pooled = (val * sizes["val"] + test * sizes["test"]) / (sizes["val"] + sizes["test"])
                rows.append({"way": label, "seed": seed, "best_val_accuracy": val, "test_accuracy": test,
                             "val_and_test_accuracy": pooled, "wall_seconds": round(wall, 1)})
                print(rows[-1], flush=True)
    summary = {label: {key: statistics.mean(r[key] for r in rows if r["way"] == label)
                       for key in ("best_val_accuracy", "test_accuracy", "val_and_test_accuracy")} for label, _ in ways}
    save("mobilenet_transfer", {"pretraining": pretraining, "mean_over_seeds": summary, "rows": rows})


if __name__ == "__main__":
    main()
