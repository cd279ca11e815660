"""Where the Runs tab's answers land: on screen next to the field or button that asked,
at 80x24 as at 120x40 (a fake child process answers: no training, no TensorFlow)."""

import asyncio
import json
import sys
import time

import pytest
from textual.containers import VerticalScroll
from textual.widgets import Input, Static

from dlterm.runstore import Run
from dlterm.tui.app import DltermApp
from dlterm.tui.runs_pane import RunsPane

ANSWER = [{"schema": 1, "input": "disc.png", "label": "square", "confidence": 0.29,
           "probabilities": {"disc": 0.28, "square": 0.29, "triangle": 0.21, "cross": 0.22}}]


@pytest.fixture
def models(tmp_path, monkeypatch):
    monkeypatch.delenv("DLTERM_PLUGIN_PATH", raising=False)
    monkeypatch.setenv("DLTERM_CONFIG_DIR", str(tmp_path / "config"))
    models = tmp_path / "models"
    for n, run_id in enumerate(("cnn-20261205-110000", "cnn-20261205-120000")):
        path = models / run_id
        path.mkdir(parents=True)
        # A long config, as real runs have: the detail text alone fills an 80x24 pane.
        hyper = {f"setting_{i}": i for i in range(30)}
        run = Run(path, {"id": path.name, "plugin": "cnn", "task": "image-classification", "dataset": "shapes",
                         "created": time.time() + n, "status": "completed", "epochs_completed": 2, "params": 100,
                         "config": {"hyperparameters": hyper, "training": {"epochs": 2}, "data": {}}})
        run.save()
        run.write_history([{"epoch": e, "loss": 1.0 / e, "val_loss": 1.1 / e, "lr": 0.001, "seconds": 1.0} for e in (1, 2)])
    return models


def answering(monkeypatch, answer):
    """run_cli's child process prints ``answer`` as JSON, like `dlterm predict --json`."""
    code = f"import sys; sys.stdout.write({json.dumps(json.dumps(answer))})"
    monkeypatch.setattr(RunsPane, "cli_command", lambda self, args: [sys.executable, "-c", code])


def on_screen(app, widget):
    """The widget is drawn whole inside the runs pane's visible part (no scrolling needed)."""
    scroll = app.query_one("#run-detail-scroll", VerticalScroll)
    region = widget.region
    return region.height > 0 and scroll.region.contains_region(region) and app.screen.region.contains_region(region)


async def wait_for(pilot, condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await pilot.pause(0.1)
    raise AssertionError("condition not reached in time")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_the_prediction_shows_under_the_field_without_scrolling(models, monkeypatch, size):
    answering(monkeypatch, ANSWER)
    app = DltermApp(str(models), [])

    async def scenario():
        async with app.run_test(size=size) as pilot:
            await pilot.press("r")
            await pilot.pause()
            field = app.query_one("#predict-input", Input)
            field.focus()  # as the Tab key does: the focused field scrolls into view
            await pilot.press(*"disc.png", "enter")
            output = app.query_one("#predict-output", Static)
            await wait_for(pilot, lambda: "square" in str(output.render()))
            await pilot.pause(0.3)
            assert on_screen(app, output), (output.region, app.query_one("#run-detail-scroll").region)
            assert on_screen(app, field)  # the question stays with its answer
            assert field.region.y < output.region.y
            assert not app._notifications  # no toast over the answer it repeats
            app.query_one("#runs-table").move_cursor(row=1)  # another run: the answer was not its
            await pilot.pause(0.3)
            assert str(output.render()).strip() == ""

    asyncio.run(scenario())


VERIFIED_ONNX = [{"format": "onnx", "quantize": "none", "status": "verified", "verified": True,
                  "path": "/x/exports/model.onnx", "size_bytes": 1000, "max_abs_error": 1e-7}]


def test_an_export_result_shows_under_the_export_row(models, monkeypatch):
    answering(monkeypatch, VERIFIED_ONNX)
    app = DltermApp(str(models), [])

    async def scenario():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("r")
            await pilot.pause()
            assert not app.query_one("#export-output").display  # no empty row before there is a result
            app.query_one("#export-button").focus()
            await pilot.press("enter")
            output = app.query_one("#export-output", Static)
            await wait_for(pilot, lambda: "model.onnx" in str(output.render()))
            await pilot.pause(0.3)
            assert on_screen(app, output)

    asyncio.run(scenario())


def test_an_export_started_from_another_tab_says_so_in_toasts(models, monkeypatch):
    answering(monkeypatch, VERIFIED_ONNX)
    app = DltermApp(str(models), [])

    async def scenario():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("r")
            await pilot.pause()
            await pilot.press("p")  # the palette's "Export the selected run" works from any tab
            app.query_one(RunsPane).export_current()
            await wait_for(pilot, lambda: any("model.onnx" in str(n.message) for n in app._notifications))

    asyncio.run(scenario())
