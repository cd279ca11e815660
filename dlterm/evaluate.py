"""Evaluate a run's model on its test split: the service behind ``dlterm evaluate``.

The run's model runs through the same :class:`~dlterm_edge.predictor.Predictor` as exported
files; what is measured (metrics, baselines, examples) is the task's business (see
:mod:`dlterm.tasks`). The result is saved as ``evaluation.json`` in the run.
"""

from __future__ import annotations

import inspect
from typing import Any

from dlterm import datasets
from dlterm.errors import DltermError
from dlterm.fileio import write_json
from dlterm.runstore import CHECKPOINTS, EVALUATION_JSON, Run
from dlterm.tasks import get_task
from dlterm.trained_model import keras_predictor

EXAMPLES = 8
WORST = 10  # the most confidently wrong test examples kept by default
MAX_WORST = 10_000


def evaluate_run(run: Run, checkpoint: str = "best", bundle: Any = None, plugin: Any = None, worst: int = WORST) -> dict[str, Any]:
    """Evaluate and save ``evaluation.json``; ``bundle`` and ``plugin`` save reloading the
    data and discovering the plugins again when the caller (the trainer) has them;
    ``worst``: how many of the most confidently wrong test examples a classifier lists.

    Takes the run's lock unless this process already holds it (the trainer evaluating the
    run it just finished): a busy run is refused, not written by two processes."""
    if checkpoint not in CHECKPOINTS:
        raise DltermError(f"unknown checkpoint {checkpoint!r}", f"choose one of: {', '.join(CHECKPOINTS)}")
    if not 0 <= worst <= MAX_WORST:
        raise DltermError(f"--worst {worst} is out of range", f"give a number from 0 to {MAX_WORST}")
    if run.held:
        return _evaluate_held(run, checkpoint, bundle, plugin, worst)
    if run.status == "running":
        raise DltermError(f"run {run.id} is still training", "wait for it to finish (or stop it) before evaluating")
    with run.writing("evaluating"):
        try:
            return _evaluate_held(run, checkpoint, bundle, plugin, worst)
        except OSError as e:
            raise DltermError(f"cannot write evaluation.json in {run.path}: {e.strerror or e}",
                              "free disk space or fix the folder's permissions, then evaluate again", exit_code=1) from None


def _evaluate_held(run: Run, checkpoint: str, bundle: Any, plugin: Any, worst: int) -> dict[str, Any]:
    path = run.checkpoint(checkpoint)
    if not path.is_file():
        hint = "the run has not finished; try --checkpoint last" if checkpoint == "final" else "the run has no completed epoch"
        raise DltermError(f"run {run.id} has no {checkpoint} checkpoint", hint)
    predictor, _ = keras_predictor(run, checkpoint, plugin=plugin)
    if bundle is None:
        cfg = run.meta["config"]
        bundle = datasets.load(run.meta["dataset"], cfg["data"], run.seed)
    outputs = predictor.outputs(bundle.x_test)
    task = get_task(run.meta["task"])
    # A task from another distribution, written before ``worst`` existed, is still called.
    accepts_worst = "worst" in inspect.signature(task.evaluate).parameters
    result = task.evaluate(bundle, outputs, predictor, **({"worst": worst} if accepts_worst else {}))
    result = {"run_id": run.id, "checkpoint": checkpoint, "samples": int(len(bundle.y_test)), **result}
    write_json(run.file(EVALUATION_JSON), result)
    return result


def evaluation_of(run: Run) -> dict[str, Any] | None:
    """The run's saved evaluation, or None if it is missing or malformed (evaluation.json
    is read from the run folder: untrusted). Only what the displays use is checked."""
    ev = run.record(EVALUATION_JSON)
    if ev is None:
        return None
    metrics = ev.get("metrics")
    if not isinstance(metrics, dict) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in metrics.values()):
        return None
    examples = ev.get("examples")
    if examples is not None and not (isinstance(examples, list) and all(
            isinstance(e, dict) and all(isinstance(e.get(k), str) for k in ("source", "target", "output")) for e in examples)):
        return None
    if not _analysis_is_sound(ev):
        return None
    sample = ev.get("sample")
    if sample is not None and not (isinstance(sample, dict) and isinstance(sample.get("seed"), str)
                                   and isinstance(sample.get("text"), str) and isinstance(sample.get("temperature"), (int, float))):
        return None
    return ev


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _list_of(value: Any, sound: Any) -> bool:
    """Absent, or a list whose every item is a dict that ``sound`` accepts."""
    return value is None or (isinstance(value, list) and all(isinstance(v, dict) and sound(v) for v in value))


def _analysis_is_sound(ev: dict[str, Any]) -> bool:
    """The baselines, per-class scores, confused pairs and worst examples have the shapes
    the displays read (each is optional: older evaluations have none)."""
    return (_list_of(ev.get("baselines"), lambda b: isinstance(b.get("name"), str) and isinstance(b.get("metrics"), dict)
                     and all(_number(v) for v in b["metrics"].values()) and isinstance(b.get("description", ""), str))
            and _list_of(ev.get("per_class"), lambda c: isinstance(c.get("label"), str) and _number(c.get("support"))
                         and all(_number(c.get(k)) for k in ("precision", "recall", "f1")))
            and _list_of(ev.get("confused_pairs"), lambda p: isinstance(p.get("true"), str)
                         and isinstance(p.get("predicted"), str) and _number(p.get("count")))
            and _list_of(ev.get("worst"), lambda w: _number(w.get("index")) and _number(w.get("confidence"))
                         and isinstance(w.get("label"), str) and isinstance(w.get("predicted"), str)
                         and (w.get("source") is None or isinstance(w.get("source"), str)))
            and (ev.get("notes") is None or (isinstance(ev["notes"], list) and all(isinstance(n, str) for n in ev["notes"])))
            and isinstance(ev.get("headline", ""), str) and isinstance(ev.get("higher_is_better", True), bool))
