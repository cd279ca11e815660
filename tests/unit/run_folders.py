"""Hand-made run folders for unit tests of what reads runs (compare, report, runs)."""

from __future__ import annotations

import json
from pathlib import Path


def make_run(root: Path, run_id: str, *, task: str = "image-classification", lr: float = 0.001, filters: int = 32,
             evaluation: dict | None = None, exports: list | None = None, history: str | None = None,
             **meta) -> str:
    path = root / run_id
    path.mkdir(parents=True)
    run = {"id": run_id, "plugin": run_id.split("-")[0], "task": task, "dataset": "shapes", "created": 1000.0,
           "finished": 1100.0, "status": "completed", "epochs_completed": 2, "params": 1234,
           "config": {"hyperparameters": {"filters": filters, "dropout": 0.5},
                      "training": {"epochs": 2, "learning_rate": lr, "seed": 42}, "data": {"samples": 400}},
           "best": {"monitor": "val_accuracy", "mode": "max", "value": 0.75, "epoch": 2}, **meta}
    (path / "run.json").write_text(json.dumps(run))
    (path / "history.csv").write_text(history if history is not None else
                                      "epoch,loss,accuracy,val_loss,val_accuracy,lr,seconds\n"
                                      "1,1.5,0.4,1.4,0.5,0.001,10.5\n2,0.9,0.7,1.1,0.75,0.001,2.0\n")
    if evaluation is not None:
        (path / "evaluation.json").write_text(json.dumps(evaluation))
    if exports is not None:
        (path / "exports").mkdir()
        (path / "exports.json").write_text(json.dumps(exports))
    return run_id
