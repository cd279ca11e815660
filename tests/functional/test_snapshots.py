"""Snapshots of the dashboard's screens with real content; update with
`pytest --snapshot-update` after a deliberate UI change, and review the SVG diff."""

import time

import pytest

from dlterm.runstore import Run
from dlterm.tui.app import DltermApp
from dlterm.tui.session import TrainingSession
from dlterm.tui.training_pane import TrainingPane

# A cnn's epochs as the trainer records them (fixed numbers: snapshots must not move).
HISTORY = [{"epoch": e, "loss": 1.3 / e, "accuracy": 0.5 + 0.09 * e, "val_loss": 1.4 / e, "val_accuracy": 0.48 + 0.09 * e,
            "lr": 0.001, "seconds": 2.5} for e in range(1, 6)]


@pytest.fixture
def models(tmp_path, monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.delenv("DLTERM_PLUGIN_PATH", raising=False)
    (tmp_path / "plugins").mkdir()
    return tmp_path / "models"


@pytest.fixture
def app(models, tmp_path):
    return DltermApp(str(models), [str(tmp_path / "plugins")])


def write_run(models, run_id, plugin, dataset, created, history, status="completed"):
    path = models / run_id
    path.mkdir(parents=True)
    best = max(history, key=lambda r: r["val_accuracy"])
    run = Run(path, {"id": run_id, "plugin": plugin, "task": "image-classification", "dataset": dataset,
                     "created": created, "status": status, "epochs_completed": len(history), "params": 93_956,
                     "config": {"hyperparameters": {"filters": 16}, "training": {"epochs": len(history)}, "data": {}},
                     "best": {"monitor": "val_accuracy", "mode": "max", "value": best["val_accuracy"], "epoch": best["epoch"]}})
    run.save()
    run.write_history(history)
    return run


def test_plugins_screen_80x24(app, snap_compare):
    assert snap_compare(app, terminal_size=(80, 24))


def test_plugins_screen_lstm_selected(app, snap_compare):
    async def pick_lstm(pilot):
        app = pilot.app
        # The list is sorted by name and opens on its first plugin: walk down to lstm.
        names = [p.name for p in app.query_one("#plugins-pane").plugins]
        await pilot.press(*["down"] * names.index("lstm"))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=pick_lstm)


def test_training_screen_with_live_curves(app, snap_compare):
    async def watch_a_run(pilot):
        session = TrainingSession("cnn on shapes", [])
        for event in [{"event": "run_created", "run_id": "cnn-20261125-120000"},
                      {"event": "run_start", "epochs": 8, "steps_per_epoch": 40, "initial_epoch": 0,
                       "monitor": "val_accuracy", "phases": [{"name": "train", "epochs": 8}]},
                      *[{"event": "epoch_end", "epoch": r["epoch"], "metrics": {k: v for k, v in r.items()
                                                                               if k not in ("epoch", "lr", "seconds")},
                         "lr": r["lr"], "seconds": r["seconds"]} for r in HISTORY],
                      {"event": "batch", "step": 12, "metrics": {"loss": 0.25}}]:
            session.apply(event)
        pane = app.query_one(TrainingPane)
        pane.add_session(session)
        await pilot.press("t")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=watch_a_run)


def test_runs_screen_with_runs_and_curves(app, models, snap_compare):
    write_run(models, "cnn-20261125-110000", "cnn", "shapes", 1_764_068_400, HISTORY)
    write_run(models, "lenet5-20261125-100000", "lenet5", "mnist", 1_764_064_800, HISTORY[:3])
    assert snap_compare(app, terminal_size=(120, 40), press=["r"])
