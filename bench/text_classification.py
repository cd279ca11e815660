"""Benchmark: bilstm on real sentence sentiment data, from scratch (no pretrained vectors).

* Pang & Lee sentence polarity v1.0 (rt-polaritydata: 5,331 + 5,331 latin-1 snippets).
  Published from-scratch recurrent models reach about 75-78% on it.
* UCI Sentiment Labelled Sentences (imdb + amazon + yelp: 3,000 `sentence<TAB>label` lines).

Both are written to a temporary CSV/TSV and read through `--data`, as a user would.

    python bench/text_classification.py
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

from common import SHARED, dlterm, save

SETTINGS = ["--epochs", "15", "--patience", "3", "--set", "dropout=0.5", "--set", "data.max_length=50",
            "--set", "data.max_words=20000"]


def polarity_csv(folder: Path) -> Path:
    path = folder / "rt-polarity.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        for label in ("pos", "neg"):
            for line in (SHARED / "rt-polaritydata" / f"rt-polarity.{label}").read_text(encoding="latin-1").splitlines():
                if line.strip():
                    writer.writerow([line.strip(), label])
    return path


def uci_tsv(folder: Path) -> Path:
    path = folder / "uci-sentences.tsv"
    lines = []
    for name in ("imdb", "amazon_cells", "yelp"):
        lines += (SHARED / "sentiment_labelled_sentences" / f"{name}_labelled.txt").read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DLTERM_HOME=str(Path(tmp) / "models"))
        for name, path in (("rt-polarity", polarity_csv(Path(tmp))), ("uci-sentences", uci_tsv(Path(tmp)))):
            for cell in ("lstm", "gru"):
                events, wall = dlterm(["train", "bilstm", "--data", str(path), "--set", f"cell={cell}", *SETTINGS], env)
                summary = events[-1]
                evaluated = next(e for e in events if e["event"] == "evaluated")
                sizes = next(e for e in events if e["event"] == "data_loaded")["sizes"]
                rows.append({"data": name, "cell": cell, "sizes": sizes, "epochs_run": summary["epochs_completed"],
                             "best_val_accuracy": summary["best"]["value"], "test_accuracy": evaluated["metrics"]["accuracy"],
                             "wall_seconds": round(wall, 1)})
                print(rows[-1], flush=True)
    save("text_classification", {"rows": rows})


if __name__ == "__main__":
    main()
