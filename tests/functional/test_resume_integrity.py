"""Resume continues exactly where the run stopped: no epoch trained or recorded twice,
early-stopping and plateau counters carried over, data found from any directory, and a
run that can not start says why and leaves nothing behind."""

import errno
import json
import os
import shutil

import pytest

from dlterm.errors import DltermError
from dlterm.runstore import RunStore

pytestmark = pytest.mark.slow

LSTM = {"units": 8, "layers": 1, "seed": 3}


def as_interrupted(run, **fields):
    """Rewrite run.json as a training killed -9 would have left it."""
    run.update(status="running", pid=999_999, **fields)


def test_a_kill_between_the_checkpoint_and_run_json_trains_and_records_each_epoch_once(trainer, tmp_path):
    summary, _ = trainer("lstm", overrides={**LSTM, "epochs": 2, "early_stopping": "false"})
    run = RunStore(tmp_path / "models").get(summary["run_id"])
    # Killed after epoch 2's checkpoint and history were written, before run.json recorded it.
    os.replace(run.checkpoint("last"), run.pending_checkpoint("last", 2))
    shutil.copy(run.checkpoint("best"), run.checkpoint("last"))  # stands in for epoch 1's checkpoint
    run.checkpoint("final").unlink()
    as_interrupted(run, epochs_completed=1, best={**run.meta["best"], "epoch": 1})
    assert [row["epoch"] for row in run.history()] == [1, 2]
    resumed, rec = trainer(resume=run.id)
    assert resumed["status"] == "completed" and resumed["epochs_completed"] == 2
    assert [e["epoch"] for e in rec.of("epoch_end")] == [2]
    assert [row["epoch"] for row in RunStore(tmp_path / "models").get(run.id).history()] == [1, 2]
    assert not list(run.path.glob("*.epoch-*.keras")) and not list(run.path.glob(".tmp-*"))


def test_a_kill_before_the_first_epoch_was_recorded_is_not_resumable(trainer, tmp_path):
    summary, _ = trainer("lstm", overrides={**LSTM, "epochs": 1, "early_stopping": "false"})
    run = RunStore(tmp_path / "models").get(summary["run_id"])
    os.replace(run.checkpoint("last"), run.pending_checkpoint("last", 1))
    as_interrupted(run, epochs_completed=0)
    with pytest.raises(DltermError, match="no completed epoch"):
        trainer(resume=run.id)


def test_early_stopping_patience_continues_after_resume(trainer, tmp_path):
    summary, _ = trainer("lstm", overrides={**LSTM, "epochs": 2, "patience": 2})
    run = RunStore(tmp_path / "models").get(summary["run_id"])
    assert set(run.meta["callback_state"]["early_stopping"]) == {"wait"}
    # One epoch without improvement already spent, against a val_loss no epoch can beat.
    run.update(status="interrupted", callback_state={"early_stopping": {"wait": 1}},
               best={"monitor": "val_loss", "mode": "min", "value": 0.0, "epoch": 2, "val_loss": 0.0})
    resumed, rec = trainer(resume=run.id, overrides={"epochs": 10})
    assert resumed["epochs_completed"] == 3, "the patience of 2 ran out one epoch after the resume"
    assert rec.of("early_stop")[0]["epoch"] == 3


def test_plateau_patience_continues_after_resume(trainer, tmp_path):
    from dlterm.keras_env import keras

    settings = {**LSTM, "early_stopping": "false", "schedule": "plateau", "plateau_patience": 2, "plateau_factor": 0.5}
    summary, _ = trainer("lstm", overrides={**settings, "epochs": 2})
    run = RunStore(tmp_path / "models").get(summary["run_id"])
    assert set(run.meta["callback_state"]["plateau"]) == {"wait", "best", "cooldown"}
    run.update(status="interrupted", callback_state={"plateau": {"wait": 1, "best": 0.0, "cooldown": 0}})
    trainer(resume=run.id, overrides={"epochs": 3})
    rows = RunStore(tmp_path / "models").get(run.id).history()
    lr = float(keras.backend.get_value(keras.models.load_model(run.checkpoint("last")).optimizer.learning_rate))
    assert lr == pytest.approx(rows[-1]["lr"] * 0.5), "epoch 3 was the second without improvement: lr halved"


def test_malformed_saved_counters_are_ignored(trainer, tmp_path):
    summary, _ = trainer("lstm", overrides={**LSTM, "epochs": 1, "patience": 2})
    run = RunStore(tmp_path / "models").get(summary["run_id"])
    run.update(status="interrupted", callback_state={"early_stopping": {"wait": 10**9}})
    resumed, _ = trainer(resume=run.id, overrides={"epochs": 2})
    assert resumed["status"] == "completed" and resumed["epochs_completed"] == 2


def test_a_relative_data_path_is_stored_resolved(trainer, tmp_path, monkeypatch):
    from dlterm.evaluate import evaluate_run
    from dlterm.events import Emitter
    from dlterm.training.trainer import TrainRequest, train

    data = tmp_path / "data"
    data.mkdir()
    (data / "prices.csv").write_text("t,value\n" + "".join(f"{i},{100 + (i * 7) % 23}\n" for i in range(300)))
    monkeypatch.chdir(data)
    # (not the trainer fixture: its tiny settings are for the generated dataset)
    req = TrainRequest(plugin="lstm", data_path="prices.csv", overrides={**LSTM, "epochs": 1, "data.window": 12, "data.column": "value"},
                       models_dir=str(tmp_path / "models"))
    summary = train(req, Emitter([]))
    run = RunStore(tmp_path / "models").get(summary["run_id"])
    assert run.meta["config"]["data"]["path"] == str(data / "prices.csv")
    monkeypatch.chdir(tmp_path)  # elsewhere: evaluate (like export, bench, resume) still finds the data
    assert evaluate_run(RunStore(tmp_path / "models").get(run.id))["samples"] > 0


def test_a_full_disk_at_run_start_is_named_and_leaves_no_run_folder(trainer, tmp_path, monkeypatch):
    import dlterm.runstore as runstore

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runstore, "write_json", full)
    with pytest.raises(DltermError) as caught:
        trainer("lstm", overrides={**LSTM, "epochs": 1})
    assert caught.value.exit_code == 2 and "No space left on device" in caught.value.message
    assert list((tmp_path / "models").iterdir()) == []


def test_two_resumes_of_one_run_never_train_together(trainer, tmp_path):
    summary, _ = trainer("lstm", overrides={**LSTM, "epochs": 1, "early_stopping": "false"})
    store = RunStore(tmp_path / "models")
    run = store.get(summary["run_id"])
    run.update(status="interrupted")
    first = store.get(run.id)
    first.hold("training")  # the first resume is training
    try:
        with pytest.raises(DltermError, match="is busy: training"):
            trainer(resume=run.id, overrides={"epochs": 3})
    finally:
        first.release()
    resumed, _ = trainer(resume=run.id, overrides={"epochs": 2})
    events = [json.loads(line)["event"] for line in run.file("events.jsonl").read_text().splitlines()]
    assert resumed["epochs_completed"] == 2 and events.count("epoch_end") == 2
    assert [row["epoch"] for row in store.get(run.id).history()] == [1, 2]
