"""Benchmark: dlterm's defaults against tuned runs, on real data the defaults were not tuned on.

Every "defaults" run is what a user gets from `dlterm train PLUGIN --data FILE` (or
`--dataset`) with no other setting; the best tuned run of each dataset is the one recorded
by its own benchmark (bench/text_classification.py, forecast.py, charlstm.py, seq2seq.py,
mobilenet_transfer.py) unless a "tuned" variant here says otherwise. Each row keeps the
test metrics, the baselines `dlterm evaluate` reports on the same split, the epochs run
against the automatic budget, wall time and CPU time (user + sys of the dlterm process).

* digits: scikit-learn's bundled 1,797 8x8 handwritten digits (10 classes), written as
  PNG files into a class-per-folder tree and read through `--data DIR` as a user's folder
  (1,257 train / 270 validation / 270 test; resized to 28x28, the image folder default).
  cnn, resnet and vgg with no settings at all, the cnn's former fixed 5 epochs, and tuned
  runs; a support-vector machine on the same pixels as a reference.
* mnist: the 10k real MNIST digits of mnist_cnn.py, cnn with no settings (the tuned run
  is mnist_options.py's).
* text: bilstm on Pang & Lee (rt-polarity) and the UCI sentences, the CSV/TSV files of
  bench/text_classification.py.
* forecast: lstm and gru on airline-passengers (Passengers) and AAPL (Close); `--column`
  names the series, as any user must for a many-column CSV.
* charlstm: tiny Shakespeare; seq2seq: fra.txt; hymenoptera: the ants/bees folder with
  mobilenet (its default weights are `none`: offline there is nothing else), cnn, resnet, vgg.

    python bench/defaults.py digits cnn    # or resnet, vgg (one file each: each run stays short)
    python bench/defaults.py digits cnn defaults   # only the variants starting with "defaults"
    python bench/defaults.py mnist
    python bench/defaults.py text rt-polarity      # or uci-sentences
    python bench/defaults.py forecast airline lstm # or aapl_close; gru
    python bench/defaults.py charlstm 6            # a time budget in minutes (see CAPPED)
    python bench/defaults.py seq2seq
    python bench/defaults.py hymenoptera mobilenet # or cnn, resnet, vgg
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
from pathlib import Path

import numpy as np
from common import SHARED, build_mnist_npz, dlterm, save
from text_classification import polarity_csv, uci_tsv

SEED = 42  # dlterm's default seed, given explicitly: the splits of the other benchmarks
TEXT_FILES = {"rt-polarity": polarity_csv, "uci-sentences": uci_tsv}
SERIES = {"airline": (SHARED / "airline-passengers.csv", "Passengers"), "aapl_close": (SHARED / "AAPL.csv", "Close")}

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


def cpu_seconds() -> float:
    """User + system CPU time of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def evaluation(home: Path, run_id: str) -> dict:
    """The evaluation.json training wrote for the run (test metrics and baselines)."""
    path = next(home.rglob(f"{run_id}/evaluation.json"))
    return json.loads(path.read_text())


def row(plugin: str, variant: str, args: list[str], env: dict[str, str]) -> dict:
    cpu0 = cpu_seconds()
    events, wall = dlterm(["train", plugin, "--seed", str(SEED), *args], env)
    cpu = cpu_seconds() - cpu0
    summary = events[-1]
    loaded = next(e for e in events if e["event"] == "data_loaded")
    start = next(e for e in events if e["event"] == "run_start")
    ev = evaluation(Path(env["DLTERM_HOME"]), summary["run_id"])
    result = {"plugin": plugin, "variant": variant, "args": args, "sizes": loaded["sizes"], "notes": loaded["notes"],
              "epochs_budget": start["epochs"], "epochs_run": summary["epochs_completed"],
              "early_stop": next((e for e in events if e["event"] == "early_stop"), None),
              "best": summary["best"], "test_metrics": ev["metrics"], "baselines": ev.get("baselines", []),
              "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1)}
    if "accuracy" in ev["metrics"]:
        result["test_accuracy"] = ev["metrics"]["accuracy"]
        result["best_val_accuracy"] = summary["best"]["value"]
    print({k: v for k, v in result.items() if k not in ("baselines", "notes")}, flush=True)
    return result


def produced_by(argv: list[str]) -> str:
    return f"python bench/defaults.py {' '.join(argv)} (load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"


def main(argv: list[str]) -> None:
    which, rest = (argv[0] if argv else ""), argv[1:]
    by = produced_by(argv)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DLTERM_HOME=str(Path(tmp) / "models"))
        if which == "digits":
            plugin, only = (rest + ["cnn", ""])[0], (rest[1] if len(rest) > 1 else "")
            folder = digits_folder(Path(tmp))
            rows = [row(p, variant, ["--data", str(folder), *args], env) for p, variant, args in DIGITS_RUNS
                    if p == plugin and variant.startswith(only)]
            save(f"defaults_digits_{plugin}" + (f"_{only.split()[0]}" if only else ""),
                 {"produced_by": by, "rows": rows, "svm_test_accuracy": svm_reference()})
        elif which == "mnist":
            build_mnist_npz(Path(tmp) / "keras")
            env["KERAS_HOME"] = str(Path(tmp) / "keras")
            save("defaults_mnist", {"produced_by": by, "rows": [row("cnn", "defaults (no settings)", ["--dataset", "mnist"], env)]})
        elif which == "text" and rest and rest[0] in TEXT_FILES:
            path = TEXT_FILES[rest[0]](Path(tmp))
            save(f"defaults_text_{rest[0]}", {"produced_by": by, "rows": [row("bilstm", "defaults (no settings)", ["--data", str(path)], env)]})
        elif which == "forecast" and rest and rest[0] in SERIES:
            plugin = rest[1] if len(rest) > 1 else "lstm"
            path, column = SERIES[rest[0]]
            save(f"defaults_forecast_{rest[0]}_{plugin}", {"produced_by": by, "rows": [
                row(plugin, "defaults (only --column)", ["--data", str(path), "--column", column], env)]})
        elif which == "charlstm":
            minutes = rest[0] if rest else "6"
            save("defaults_charlstm", {"produced_by": by, "rows": [
                row("charlstm", f"defaults, capped at {minutes} minutes", ["--data", str(SHARED / "tinyshakespeare_input.txt"),
                                                                         "--set", f"max_minutes={minutes}"], env)]})
        elif which == "seq2seq":
            save("defaults_seq2seq", {"produced_by": by, "rows": [
                row("seq2seq", "defaults (no settings)", ["--data", str(SHARED / "fra.txt")], env)]})
        elif which == "hymenoptera":
            plugin = rest[0] if rest else "mobilenet"
            save(f"defaults_hymenoptera_{plugin}", {"produced_by": by, "rows": [
                row(plugin, "defaults (no settings)", ["--data", str(SHARED / "hymenoptera_data")], env)]})
        else:
            raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
