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


async def form_ready(pilot):
    pane = pilot.app.query_one("#plugins-pane")
    for _ in range(200):
        if pane.ready is not None and pane.ready is pane.current:
            break
        await pilot.pause(0.05)
    await pilot.pause()


def test_plugins_screen_80x24(app, snap_compare):
    assert snap_compare(app, terminal_size=(80, 24), run_before=form_ready)


def test_plugins_form_with_own_data_80x24(app, snap_compare):
    """cnn on an image folder: the path field and the folder's settings fit with the buttons."""

    async def pick_images(pilot):
        app = pilot.app
        await form_ready(pilot)
        names = [p.name for p in app.query_one("#plugins-pane").plugins]
        await pilot.press(*["down"] * names.index("cnn"))
        await form_ready(pilot)
        app.query_one("#dataset-select").value = "images"
        await pilot.pause(0.3)
        app.query_one("#plugin-detail").scroll_to_widget(app.query_one("#dataset-select"), top=True, animate=False)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=pick_images)


def test_plugins_screen_lstm_selected(app, snap_compare):
    async def pick_lstm(pilot):
        app = pilot.app
        # The list is sorted by name and opens on its first plugin: walk down to lstm.
        await form_ready(pilot)
        names = [p.name for p in app.query_one("#plugins-pane").plugins]
        await pilot.press(*["down"] * names.index("lstm"))
        await form_ready(pilot)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(120, 40), run_before=pick_lstm)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_training_screen_with_live_curves(app, snap_compare, size):
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

    assert snap_compare(app, terminal_size=size, run_before=watch_a_run)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_runs_screen_with_runs_and_curves(app, models, snap_compare, size):
    write_run(models, "cnn-20261125-110000", "cnn", "shapes", 1_764_068_400, HISTORY)
    write_run(models, "lenet5-20261125-100000", "lenet5", "mnist", 1_764_064_800, HISTORY[:3])
    assert snap_compare(app, terminal_size=size, press=["r"])
