"""Benchmark: mobilenet on ants vs bees, transferring from a base dlterm pretrained on MNIST.

No ImageNet weights are available offline here, so the pretrained base comes from the
real data we have: MobileNetV2 (alpha 0.35, 96x96) trained from scratch on 8,000 MNIST
digits. Then, on the 245 + 153 ants/bees photos (hymenoptera_data, train/ and val/):

* transfer: `--weights run:<mnist run>`: head on the frozen base, then fine-tuning;
* scratch: the same network with `--weights none`, for the same number of epochs.

    python bench/mobilenet_transfer.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from common import SHARED, build_mnist_npz, dlterm, save

HEAD_EPOCHS, FINE_TUNE_EPOCHS = 10, 10


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        build_mnist_npz(Path(tmp) / "keras")
        env = dict(os.environ, DLTERM_HOME=str(Path(tmp) / "models"), KERAS_HOME=str(Path(tmp) / "keras"))
        events, wall = dlterm(["train", "mobilenet", "--dataset", "mnist", "--epochs", "4", "--set", "input_size=96"], env)
        pre = events[-1]
        rows.append({"model": "pretraining on MNIST", "epochs_run": pre["epochs_completed"],
                     "test_accuracy": next(e for e in events if e["event"] == "evaluated")["metrics"]["accuracy"],
                     "wall_seconds": round(wall, 1)})
        print(rows[-1], flush=True)
        data = ["--data", str(SHARED / "hymenoptera_data"), "--image-size", "96", "--no-early-stopping"]
        base = f"--weights=run:{pre['run_id']}"
        runs = [("transfer: head, then top 30 layers at 1e-4", [base, "--epochs", str(HEAD_EPOCHS),
                 "--set", f"fine_tune_epochs={FINE_TUNE_EPOCHS}", "--set", "fine_tune_lr=1e-4"]),
                ("transfer: 5 head epochs, then every layer at 1e-3", [base, "--epochs", "5",
                 "--set", f"fine_tune_epochs={HEAD_EPOCHS + FINE_TUNE_EPOCHS - 5}", "--set", "fine_tune_lr=1e-3",
                 "--set", "fine_tune_layers=1000"]),
                ("from scratch", ["--weights", "none", "--epochs", str(HEAD_EPOCHS + FINE_TUNE_EPOCHS)])]
        for label, args in runs:
            events, wall = dlterm(["train", "mobilenet", *data, *args], env)
            summary = events[-1]
            test = next(e for e in events if e["event"] == "evaluated")
            val = summary["best"]["value"]
            sizes = next(e for e in events if e["event"] == "data_loaded")["sizes"]
            # val/ is split in two (76 validation, 77 test images): report both and their pooled accuracy
            pooled = (val * sizes["val"] + test["metrics"]["accuracy"] * sizes["test"]) / (sizes["val"] + sizes["test"])
            rows.append({"model": label, "epochs_run": summary["epochs_completed"], "best_val_accuracy": val,
                         "test_accuracy": test["metrics"]["accuracy"], "val_and_test_accuracy": pooled,
                         "wall_seconds": round(wall, 1)})
            print(rows[-1], flush=True)
    save("mobilenet_transfer", {"rows": rows})


if __name__ == "__main__":
    main()
