"""Benchmark: the plugins learn on their offline default data in seconds (formerly the
learning tests of tests/functional/test_architectures.py, ~6 CPU-minutes of the suite).

Each check trains the settings the tests used and compares the metric with its claim:
bilstm beats chance (0.5) by 0.25 on negation sentiment, seq2seq beats the positional
baseline on dates by 5 points of character accuracy, charlstm beats the unigram baseline
by 0.3 bits per character, a mobilenet from scratch beats chance (0.25) on four shapes,
seq2seq's beam of 3 decodes at least about as well as greedy decoding, and small resnet
and vgg from scratch beat chance on shapes by 0.25 (formerly in test_image_architectures.py),
cnn and lenet5 reach 0.6 on shapes and lstm, gru and simplernn beat the naive forecast
(formerly in test_training.py).

    python bench/learning_checks.py            # all; exits 1 if a claim fails
    python bench/learning_checks.py bilstm     # one or more by name

The tests keep what is not about learning well (what a run saves, beam width 1 = greedy)
on tiny runs.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, RESULTS, save

sys.path.insert(0, str(REPO))


def fit(plugin: str, models: Path, overrides: dict) -> tuple[dict, dict]:
    from dlterm.events import Emitter
    from dlterm.training.trainer import TrainRequest, train

    evaluated: dict = {}
    summary = train(TrainRequest(plugin=plugin, overrides=overrides, models_dir=str(models)),
                    Emitter([lambda e: e["event"] == "evaluated" and evaluated.update(e["metrics"])]))
    return summary, evaluated


def bilstm(models: Path) -> dict:
    _, m = fit("bilstm", models, {"data.samples": 1500, "units": 16, "epochs": 6})
    return {"metric": "accuracy", "value": m["accuracy"], "claim": "> 0.75 (chance 0.5)", "ok": m["accuracy"] > 0.75}


def seq2seq(models: Path) -> dict:
    from dlterm import datasets
    from dlterm.export import rows
    from dlterm.metrics import char_accuracy
    from dlterm.runstore import RunStore
    from dlterm.trained_model import keras_predictor

    summary, m = fit("seq2seq", models, {"data.samples": 2500, "units": 64, "epochs": 8})
    run = RunStore(models).get(summary["run_id"])
    predictor, _ = keras_predictor(run)
    bundle = datasets.load("dates", run.meta["config"]["data"], run.meta["config"]["training"]["seed"])
    source, targets = rows(bundle.x_test, slice(0, 60))["source"], bundle.y_test[:60]
    greedy, beam = char_accuracy(targets, predictor.decode(source)), char_accuracy(targets, predictor.beam_decode(source, 3))
    ok = m["char_accuracy"] > m["baseline_char_accuracy"] + 0.05 and beam >= greedy - 0.03
    return {"metric": "char_accuracy", "value": m["char_accuracy"], "baseline": m["baseline_char_accuracy"],
            "greedy_60": greedy, "beam3_60": beam, "claim": "> baseline + 0.05; beam 3 >= greedy - 0.03", "ok": ok}


def charlstm(models: Path) -> dict:
    _, m = fit("charlstm", models, {"data.length": 20000, "data.stride": 1, "units": 64, "layers": 1, "epochs": 3})
    return {"metric": "bits_per_char", "value": m["bits_per_char"], "baseline": m["unigram_bits_per_char"],
            "claim": "< unigram - 0.3", "ok": m["bits_per_char"] < m["unigram_bits_per_char"] - 0.3}


def mobilenet(models: Path) -> dict:
    _, m = fit("mobilenet", models, {"data.samples": 1000, "input_size": 48, "epochs": 8})
    return {"metric": "accuracy", "value": m["accuracy"], "claim": "> 0.4 (chance 0.25)", "ok": m["accuracy"] > 0.4}


# The small resnet and vgg of tests/functional/test_image_architectures.py.
SMALL = {"resnet": {"stages": 2, "blocks": 1, "width": 8, "dense_units": 32},
         "vgg": {"blocks": 2, "convs_per_block": 1, "filters": 8, "dense_units": 32}}


def small_image_model(plugin: str):
    def check(models: Path) -> dict:
        _, m = fit(plugin, models, {"data.samples": 800, "epochs": 6, **SMALL[plugin]})
        return {"metric": "accuracy", "value": m["accuracy"], "claim": "> 0.5 (chance 0.25)", "ok": m["accuracy"] > 0.5}

    return check


def image_classifier(plugin: str, epochs: int):
    # Enough steps for BatchNorm's moving statistics to settle; LeNet-5's tanh units learn
    # more slowly than the cnn's ReLUs (formerly tests/functional/test_training.py).
    def check(models: Path) -> dict:
        from dlterm.evaluate import evaluate_run
        from dlterm.runstore import RunStore

        summary, _ = fit(plugin, models, {"epochs": epochs, "data.samples": 1500, "early_stopping": False})
        value = evaluate_run(RunStore(models).get(summary["run_id"]))["metrics"]["accuracy"]
        return {"metric": "accuracy", "value": value, "claim": "> 0.6 (chance 0.25)", "ok": value > 0.6}

    return check


def forecaster(plugin: str):
    def check(models: Path) -> dict:
        from dlterm.evaluate import evaluate_run
        from dlterm.runstore import RunStore

        summary, _ = fit(plugin, models, {"data.length": 300, "epochs": 8, "units": 16, "layers": 1})
        m = evaluate_run(RunStore(models).get(summary["run_id"]))["metrics"]
        ok = m["rmse"] < 0.8 * m["naive_rmse"] and m["mae"] < m["naive_mae"]
        return {"metric": "rmse", "value": m["rmse"], "baseline": m["naive_rmse"], "mae": m["mae"],
                "naive_mae": m["naive_mae"], "claim": "rmse < 0.8 naive rmse; mae < naive mae", "ok": ok}

    return check


CHECKS = {"cnn": image_classifier("cnn", 3), "lenet5": image_classifier("lenet5", 10),
          "lstm": forecaster("lstm"), "gru": forecaster("gru"), "simplernn": forecaster("simplernn"),
          "bilstm": bilstm, "seq2seq": seq2seq, "charlstm": charlstm, "mobilenet": mobilenet,
          "resnet": small_image_model("resnet"), "vgg": small_image_model("vgg")}


def main() -> None:
    names = sys.argv[1:] or list(CHECKS)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise SystemExit(f"unknown check {unknown[0]!r}; choose from {', '.join(CHECKS)}")
    results = {}
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            cpu0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
            results[name] = CHECKS[name](Path(tmp) / "models")
            cpu1 = resource.getrusage(resource.RUSAGE_SELF)
            results[name]["wall_seconds"] = round(time.perf_counter() - t0, 1)
            results[name]["cpu_seconds"] = round(cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 1)
    previous = RESULTS / "learning_checks.json"  # a run of some checks keeps the others' results
    save("learning_checks", {**(json.loads(previous.read_text()) if previous.is_file() else {}), **results})
    if not all(r["ok"] for r in results.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
