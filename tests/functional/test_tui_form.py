"""The Plugins form with the user's own data, driven with Textual's pilot (no training:
Train requests are caught before a child process starts)."""

import asyncio

import pytest
from textual.widgets import DataTable, Input, Select

from dlterm.tui.app import DltermApp
from dlterm.tui.plugins_pane import PluginsPane, TrainRequested


class CatchingApp(DltermApp):
    """The dashboard, but Train only records what it would start."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.requests: list[TrainRequested] = []

    def on_train_requested(self, message: TrainRequested) -> None:
        self.requests.append(message)
        # Textual calls the handler of every class in the MRO: without this, DltermApp's
        # started a real training child too (whose end could race the app's close).
        message.prevent_default()


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.delenv("DLTERM_PLUGIN_PATH", raising=False)
    monkeypatch.setenv("DLTERM_CONFIG_DIR", str(tmp_path / "config"))
    return CatchingApp(str(tmp_path / "models"), [])


async def wait_until(pilot, condition, timeout=10.0):
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached")


async def pick(app, pilot, plugin, dataset=None):
    pane = app.query_one(PluginsPane)
    row = next(i for i, p in enumerate(pane.plugins) if p.name == plugin and p.ok)
    app.query_one("#plugin-table", DataTable).move_cursor(row=row)
    await wait_until(pilot, lambda: pane.ready is not None and pane.ready.name == plugin)
    if dataset:
        app.query_one("#dataset-select", Select).value = dataset
        await wait_until(pilot, lambda: getattr(next(iter(app.query("#data-form")), None), "dataset", None) == dataset)


def toasts(app):
    return [str(n.message) for n in app._notifications]


def test_own_image_folder_from_the_form(app, tmp_path, monkeypatch):
    """images: listed as needing a path, refused without one (a toast, no flags), then
    trained from a folder whose name has a space, typed with ~."""
    monkeypatch.setenv("HOME", str(tmp_path))
    folder = tmp_path / "my pictures"
    folder.mkdir()

    async def scenario():
        async with app.run_test(size=(80, 24)) as pilot:
            await pick(app, pilot, "cnn")
            labels = [str(label) for label, _ in app.query_one("#dataset-select", Select)._options]
            assert any(label.startswith("images") and "(needs a path)" in label for label in labels)
            assert not any(label.startswith("shapes") and "needs a path" in label for label in labels)
            await pick(app, pilot, "cnn", "images")
            assert app.query_one("#data-image_size", Input).value == "28"  # generated from the dataset's specs
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert app.requests == []
            message = toasts(app)[-1]
            assert "fill in its path field" in message and "--" not in message
            assert app.focused is app.query_one("#data-path")
            app.query_one("#data-path", Input).value = "~/my pictures"
            app.query_one("#data-image_size", Input).value = "16"
            await pilot.press("ctrl+t")
            await pilot.pause()
            request = app.requests[-1]
            assert request.dataset == "images"
            assert request.settings["data.path"] == str(folder)
            assert request.settings["data.image_size"] == 16
            assert app.sessions == []  # caught: no training child was started

    asyncio.run(scenario())


def test_missing_path_is_refused_in_the_forms_words(app, tmp_path):
    async def scenario():
        async with app.run_test(size=(80, 24)) as pilot:
            await pick(app, pilot, "lstm", "csv")
            app.query_one("#data-path", Input).value = str(tmp_path / "nope.csv")
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert app.requests == []
            assert "path: nothing at" in toasts(app)[-1]

    asyncio.run(scenario())


def test_path_field_completes_names(app, tmp_path):
    (tmp_path / "sales-2026.csv").write_text("a\n1\n")

    async def scenario():
        async with app.run_test(size=(80, 24)) as pilot:
            await pick(app, pilot, "lstm", "csv")
            field = app.query_one("#data-path", Input)
            field.focus()
            field.value = str(tmp_path / "sal")
            field.cursor_position = len(field.value)
            await wait_until(pilot, lambda: field._suggestion)
            await pilot.press("right")
            assert field.value == str(tmp_path / "sales-2026.csv")

    asyncio.run(scenario())


def test_more_settings_do_not_carry_to_the_next_plugin(app):
    async def scenario():
        async with app.run_test(size=(80, 24)) as pilot:
            await pick(app, pilot, "cnn")
            app.query_one("#extra-settings", Input).value = "filters=4"
            await pick(app, pilot, "lstm")
            assert app.query_one("#extra-settings", Input).value == ""
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert "filters" not in app.requests[-1].settings

    asyncio.run(scenario())
