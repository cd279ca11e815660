"""Evaluate a run's model on its test split.

* Classification (images, text): accuracy, a confusion matrix and per-class recall.
* Forecasting: MAE and RMSE in the series' original units, next to the naive forecast
  (tomorrow = today), which a useful model must beat.
* Sequence-to-sequence: greedy decoding of every test source; exact-match rate and
  character accuracy, next to a baseline that writes each position's most common
  training character; a few decoded examples.
* Text generation: test loss in nats and bits per character, next to the unigram
  baseline (character frequencies alone); a generated sample.

The model runs through the same :class:`~dlterm.inference.Predictor` as exported files.
The result is saved as ``evaluation.json`` in the run.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlterm import datasets
from dlterm.errors import DltermError
from dlterm.fileio import write_json
from dlterm.inference import END, decode_ids
from dlterm.metrics import bits_per_char, char_accuracy, exact_match
from dlterm.runstore import Run
from dlterm.trained_model import keras_predictor

CHECKPOINTS = ("best", "last", "final")
EXAMPLES = 8


def classification_metrics(y_true: np.ndarray, probs: np.ndarray, class_names: list[str]) -> dict[str, Any]:
    pred = probs.argmax(axis=-1)
    k = len(class_names)
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (y_true.astype(int), pred.astype(int)), 1)
    recall = {name: float(matrix[i, i] / matrix[i].sum()) for i, name in enumerate(class_names) if matrix[i].sum()}
    return {"metrics": {"accuracy": float((pred == y_true).mean())}, "confusion_matrix": matrix.tolist(),
            "class_names": class_names, "recall": recall}


def forecast_metrics(y_true: np.ndarray, y_pred: np.ndarray, last: np.ndarray, prep: dict[str, Any]) -> dict[str, Any]:
    """Errors in original units; ``last`` is each window's last observed target value."""
    from dlterm.datasets.series import to_units

    truth = to_units(y_true, last, prep)
    pred = to_units(y_pred, last, prep)
    naive = np.asarray(last, dtype=np.float64)

    def mae(a, b):
        return float(np.mean(np.abs(a - b)))

    def rmse(a, b):
        return float(np.sqrt(np.mean((a - b) ** 2)))

    return {"metrics": {"mae": mae(truth, pred), "rmse": rmse(truth, pred),
                        "naive_mae": mae(truth, naive), "naive_rmse": rmse(truth, naive),
                        "rmse_vs_naive": rmse(truth, pred) / (rmse(truth, naive) or 1.0)},
            "units": prep.get("target")}


def seq2seq_metrics(y_test: np.ndarray, decoded: np.ndarray, y_train: np.ndarray, prep: dict[str, Any],
                    pairs: list[tuple[str, str]]) -> dict[str, Any]:
    # Baseline: each position's most common training character (no look at the source).
    majority = np.array([np.bincount(col, minlength=len(prep["target_vocabulary"])).argmax() for col in y_train.T])
    baseline = np.tile(majority, (len(y_test), 1))
    outputs = [decode_ids(row, prep["target_vocabulary"]) for row in decoded[:EXAMPLES]]
    examples = [{"source": s, "target": t, "output": out, "correct": out == t} for (s, t), out in zip(pairs, outputs)]
    return {"metrics": {"exact_match": exact_match(y_test, decoded), "char_accuracy": char_accuracy(y_test, decoded),
                        "baseline_char_accuracy": char_accuracy(y_test, baseline)},
            "examples": examples, "end_token": END}


def generation_metrics(y_test: np.ndarray, probs: np.ndarray, prep: dict[str, Any]) -> dict[str, Any]:
    bpc = bits_per_char(y_test, probs)
    unigram = np.asarray(prep["unigram"], dtype=np.float64)
    baseline = bits_per_char(y_test, np.tile(unigram, (len(y_test), 1)))
    return {"metrics": {"loss_nats": bpc * math.log(2), "bits_per_char": bpc, "perplexity": float(2 ** bpc),
                        "unigram_bits_per_char": baseline}}


def evaluate_run(run: Run, checkpoint: str = "best", bundle: Any = None, plugin: Any = None) -> dict[str, Any]:
    """Evaluate and save ``evaluation.json``; ``bundle`` and ``plugin`` save reloading the
    data and discovering the plugins again when the caller (the trainer) has them."""
    if checkpoint not in CHECKPOINTS:
        raise DltermError(f"unknown checkpoint {checkpoint!r}", f"choose one of: {', '.join(CHECKPOINTS)}")
    path = run.file(f"{checkpoint}.keras")
    if not path.is_file():
        hint = "the run has not finished; try --checkpoint last" if checkpoint == "final" else "the run has no completed epoch"
        raise DltermError(f"run {run.id} has no {checkpoint} checkpoint", hint)
    predictor, _ = keras_predictor(run, checkpoint, plugin=plugin)
    if bundle is None:
        cfg = run.meta["config"]
        bundle = datasets.load(run.meta["dataset"], cfg["data"], cfg["training"]["seed"])
    outputs = predictor.outputs(bundle.x_test)
    task = run.meta["task"]
    if task in ("image-classification", "text-classification"):
        result = classification_metrics(bundle.y_test, outputs, list(bundle.spec.class_names or []))
    elif task == "sequence-forecasting":
        result = forecast_metrics(bundle.y_test, outputs, bundle.extra["last_test"], bundle.preprocessing)
    elif task == "sequence-to-sequence":
        result = seq2seq_metrics(bundle.y_test, outputs, bundle.y_train, bundle.preprocessing, bundle.extra["test_pairs"])
    elif task == "text-generation":
        result = generation_metrics(bundle.y_test, outputs, bundle.preprocessing)
        seed = bundle.extra["seed_text"]
        result["sample"] = {"seed": seed, "temperature": 0.8,
                            "text": predictor.generate(seed, length=300, temperature=0.8, seed=0)["output"]}
    else:
        raise DltermError(f"evaluation of {task} is not available", "this dlterm version does not know the task")
    result = {"run_id": run.id, "checkpoint": checkpoint, "samples": int(len(bundle.y_test)), **result}
    write_json(run.file("evaluation.json"), result)
    return result
