"""Without --epochs a run gets the data-scaled budget, patience and (small image sets)
augmentation, recorded in run.json; with --epochs nothing changes."""

import pytest

from dlterm.runstore import RunStore
from dlterm.training.budget import auto_epochs, auto_patience

pytestmark = pytest.mark.slow


def test_no_epochs_means_the_automatic_budget_recorded_in_the_run(trainer, tmp_path):
    tiny = {"data.samples": 200, "filters": 4, "blocks": 2, "max_minutes": 0.01}  # the time budget ends it early
    summary, rec = trainer("cnn", overrides=tiny)
    training = RunStore(tmp_path / "models").get(summary["run_id"]).meta["config"]["training"]
    train_size = rec.of("data_loaded")[0]["sizes"]["train"]
    assert training["epochs"] == auto_epochs(train_size, 32) == rec.of("run_start")[0]["epochs"] > 5
    assert training["augment"] is True and training["patience"] == auto_patience(training["epochs"])
    assert any("no --epochs" in note for note in rec.of("data_loaded")[0]["notes"])
    summary, rec = trainer("cnn", overrides={**tiny, "epochs": 2})
    training = RunStore(tmp_path / "models").get(summary["run_id"]).meta["config"]["training"]
    assert (training["epochs"], training["augment"], training["patience"]) == (2, False, 5)
    assert not any("no --epochs" in note for note in rec.of("data_loaded")[0]["notes"])
