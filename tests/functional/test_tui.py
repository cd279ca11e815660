"""The dashboard, driven with Textual's pilot: real training in a child process."""

import asyncio
import time

import pytest
from textual.widgets import DataTable, Input, Static, TabbedContent

from dlterm.runstore import RunStore
from dlterm.tui.app import DltermApp
from dlterm.tui.plugins_pane import PluginsPane
from dlterm.tui.runs_pane import RunsPane
from dlterm.tui.training_pane import TrainingPane
from dlterm.tui.widgets.curves import CurveChart

pytestmark = pytest.mark.slow


async def wait_for(pilot, condition, timeout=180.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await pilot.pause(0.2)
    raise AssertionError("condition not reached in time")


async def select_plugin(app, pilot, name):
    table = app.query_one("#plugin-table", DataTable)
    row = next(i for i, p in enumerate(app.query_one(PluginsPane).plugins) if p.name == name and p.ok)
    table.move_cursor(row=row)
    pane = app.query_one(PluginsPane)
    first = pane.plugins[row].hyperparameters[0].name
    # The forms are rebuilt asynchronously: wait for this plugin's fields, not the last one's.
    await wait_for(pilot, lambda: pane.current.name == name and app.query(f"#hp-{first}") and app.query("#tr-epochs"),
                   timeout=30)


async def train_from_form(app, pilot, plugin, epochs, extra):
    """Pick a plugin, set epochs and extra settings in the form, press the Train key."""
    await select_plugin(app, pilot, plugin)
    app.query_one("#tr-epochs", Input).value = str(epochs)
    app.query_one("#extra-settings", Input).value = extra
    await pilot.press("ctrl+t")  # the Train binding (also in the footer and palette)
    await pilot.pause()


def test_train_watch_stop_and_find_the_run(tmp_path):
    async def scenario():
        app = DltermApp(str(tmp_path / "models"), [])
        async with app.run_test(size=(120, 40)) as pilot:
            await train_from_form(app, pilot, "cnn", 40, "data.samples=300 filters=4 blocks=2")
            assert app.query_one("#tabs", TabbedContent).active == "training"
            pane = app.query_one(TrainingPane)
            await wait_for(pilot, lambda: pane.shown and len(pane.shown.history) >= 2)
            assert pane.shown.epochs == 40
            assert app.query_one("#loss-chart", CurveChart).series["loss"]
            assert "val_accuracy" in app.query_one("#metric-chart", CurveChart).series
            assert app.query_one("#epoch-table", DataTable).row_count >= 2
            await pilot.click("#stop-button")
            await wait_for(pilot, lambda: pane.shown.status == "interrupted", timeout=60)
            run_id = pane.shown.run_id
            await pilot.press("r")
            runs = app.query_one(RunsPane)
            assert [r.id for r in runs.runs] == [run_id]
            assert runs.runs[0].status == "interrupted"
            assert not app.query_one("#resume-button").disabled
        return run_id

    run_id = asyncio.run(scenario())
    run = RunStore(tmp_path / "models").get(run_id)
    assert run.status == "interrupted" and 2 <= run.meta["epochs_completed"] < 40
    assert run.file("last.keras").is_file()


def test_form_validation_blocks_bad_values(tmp_path):
    async def scenario():
        app = DltermApp(str(tmp_path / "models"), [])
        async with app.run_test(size=(100, 40)) as pilot:
            await select_plugin(app, pilot, "lstm")
            app.query_one("#hp-units", Input).value = "-3"
            await pilot.pause()
            assert "below the minimum" in str(app.query_one("#hp-units-error").render())
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert "fix the form first" in str(app.query_one("#train-error").render())
            assert app.query_one("#tabs", TabbedContent).active == "plugins"
            assert app.sessions == []

    asyncio.run(scenario())


def test_resume_export_and_predict_from_the_runs_tab(tmp_path):
    from PIL import Image
    from textual.widgets import Static

    image = tmp_path / "square.png"
    Image.new("L", (28, 28), 0).save(image)

    async def scenario():
        app = DltermApp(str(tmp_path / "models"), [])
        async with app.run_test(size=(120, 40)) as pilot:
            await train_from_form(app, pilot, "cnn", 6, "data.samples=300 filters=4 blocks=2 early_stopping=false")
            pane = app.query_one(TrainingPane)
            await wait_for(pilot, lambda: pane.shown and len(pane.shown.history) >= 1)
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: pane.shown.status in ("interrupted", "completed"), timeout=60)
            first = pane.shown
            await pilot.press("r")
            runs = app.query_one(RunsPane)
            if first.status == "interrupted":
                app.query_one("#resume-button").press()
                await wait_for(pilot, lambda: len(app.sessions) == 2)
                await wait_for(pilot, lambda: app.sessions[1].status == "completed", timeout=120)
                # The resumed run's view keeps the epochs before the resume, each once, then goes on
                # to the last (under load the stop can land after the last epoch: nothing is left).
                assert [row["epoch"] for row in app.sessions[1].history] == [1, 2, 3, 4, 5, 6]
            await pilot.press("r")
            await wait_for(pilot, lambda: runs.runs and runs.runs[0].status == "completed")
            app.query_one("#export-button").press()
            exported = app.query_one("#export-output", Static)
            await wait_for(pilot, lambda: "model.onnx" in str(exported.render()), timeout=120)
            app.query_one("#predict-input", Input).value = str(image)
            app.query_one("#predict-button").press()
            output = app.query_one("#predict-output", Static)
            await wait_for(pilot, lambda: "square.png:" in str(output.render()), timeout=60)
            return runs.runs[0]

    run = asyncio.run(scenario())
    assert run.meta["epochs_completed"] == 6
    assert (run.path / "exports" / "model.onnx").is_file()


def test_train_a_text_model_and_try_a_typed_sentence(tmp_path):
    """A bilstm trained from the form; the Runs tab classifies a typed sentence as one text."""

    async def scenario():
        app = DltermApp(str(tmp_path / "models"), [])
        async with app.run_test(size=(120, 40)) as pilot:
            await train_from_form(app, pilot, "bilstm", 2, "data.samples=300 units=4 embedding_dim=4")
            pane = app.query_one(TrainingPane)
            await wait_for(pilot, lambda: pane.shown and pane.shown.status == "completed")
            await pilot.press("r")
            runs = app.query_one(RunsPane)
            await wait_for(pilot, lambda: runs.runs and runs.runs[0].status == "completed")
            app.query_one("#predict-input", Input).value = "the plot was not good at all"
            app.query_one("#predict-input", Input).focus()
            await pilot.press("enter")  # Enter in the field predicts, like the button
            output = app.query_one("#predict-output", Static)
            await wait_for(pilot, lambda: "the plot was not good at all:" in str(output.render()), timeout=90)
            return str(output.render())

    text = asyncio.run(scenario())
    assert "positive" in text or "negative" in text


def test_tab_keys_switch_tabs_from_the_plugin_table(tmp_path):
    """p, t and r work wherever the focus starts (the plugin table has it at start-up)."""

    async def scenario():
        app = DltermApp(str(tmp_path / "models"), [])
        seen = []
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert app.focused.id == "plugin-table"
            for key in ("r", "t", "p", "r"):
                await pilot.press(key)
                await pilot.pause()
                seen.append(app.query_one(TabbedContent).active)
        return seen

    assert asyncio.run(scenario()) == ["runs", "training", "plugins", "runs"]
