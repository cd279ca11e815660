"""Evaluate a run's model on its test split: the service behind ``dlterm evaluate``.

The run's model runs through the same :class:`~dlterm_edge.predictor.Predictor` as exported
files; what is measured (metrics, baselines, examples) is the task's business (see
:mod:`dlterm.tasks`). The result is saved as ``evaluation.json`` in the run.
"""

from __future__ import annotations

from typing import Any

from dlterm import datasets
from dlterm.errors import DltermError
from dlterm.fileio import write_json
from dlterm.runstore import Run
from dlterm.tasks import get_task
from dlterm.trained_model import keras_predictor

CHECKPOINTS = ("best", "last", "final")
EXAMPLES = 8


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
    result = get_task(run.meta["task"]).evaluate(bundle, outputs, predictor)
    result = {"run_id": run.id, "checkpoint": checkpoint, "samples": int(len(bundle.y_test)), **result}
    write_json(run.file("evaluation.json"), result)
    return result
