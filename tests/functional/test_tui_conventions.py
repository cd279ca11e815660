"""Conventions of the dashboard: F1 help, settings that persist, copy as CLI command,
filtering and sorting runs (pilot, no training)."""

import asyncio
import time

from test_tui_bugs import history, write_run  # noqa: E402  (same folder)
from test_tui_form import CatchingApp, pick
from textual.widgets import DataTable, Input, Markdown, Select

from dlterm.tui.app import DltermApp
from dlterm.tui.help_screen import HelpScreen
from dlterm.tui.runs_pane import RunsPane
from dlterm.tui.user_settings import UserSettings


def test_f1_help_lists_tabs_keys_and_the_settings_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DLTERM_CONFIG_DIR", str(tmp_path / "conf"))
    UserSettings(keys={"dlterm.train": "f5"}).save()
    app = DltermApp(str(tmp_path / "models"), [])

    async def scenario():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f1")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            text = app.screen.text
            assert "**Training**" in text and "`f5` | Train" in text and str(tmp_path / "conf" / "dashboard.toml") in text
            assert app.screen.query_one(Markdown)
            await pilot.press("escape")
            assert not isinstance(app.screen, HelpScreen)
            await pilot.press("f5")  # the rebound key trains (the form refuses: still loading or fine)

    asyncio.run(scenario())


def test_last_values_and_theme_persist_and_the_form_copies_as_a_command(tmp_path, monkeypatch):
    monkeypatch.delenv("DLTERM_PLUGIN_PATH", raising=False)
    monkeypatch.setenv("DLTERM_CONFIG_DIR", str(tmp_path / "conf"))
    folder = tmp_path / "my series"
    folder.mkdir()
    (folder / "sales.csv").write_text("month,sales\n1,2\n")
    copied = []

    async def first_session():
        app = CatchingApp(str(tmp_path / "models"), [])
        app.copy_to_clipboard = copied.append
        async with app.run_test(size=(80, 24)) as pilot:
            await pick(app, pilot, "lstm", "csv")
            app.query_one("#data-path", Input).value = str(folder / "sales.csv")
            app.query_one("#data-column", Input).value = "sales"
            app.query_one("#tr-epochs", Input).value = "3"
            app.theme = "nord"
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert app.requests
            app.action_copy_command()
        return app

    asyncio.run(first_session())
    assert copied == [f"dlterm train lstm --dataset csv --set 'data.path={folder / 'sales.csv'}' --set data.column=sales "
                      f"--set epochs=3 --models-dir {tmp_path / 'models'}"]
    saved = UserSettings.load()
    assert saved.theme == "nord" and saved.last["lstm"]["tr-epochs"] == "3"

    async def second_session():
        app = CatchingApp(str(tmp_path / "models"), [])
        async with app.run_test(size=(80, 24)) as pilot:
            await pick(app, pilot, "lstm")
            assert app.theme == "nord"
            assert app.query_one("#dataset-select", Select).value == "csv"
            assert app.query_one("#data-path", Input).value == str(folder / "sales.csv")
            assert app.query_one("#tr-epochs", Input).value == "3"

    asyncio.run(second_session())


def test_runs_filter_and_sort(tmp_path, monkeypatch):
    monkeypatch.setenv("DLTERM_CONFIG_DIR", str(tmp_path / "conf"))
    models = tmp_path / "models"
    now = int(time.time())
    write_run(models, "cnn-a", history(2), now - 30)
    write_run(models, "lstm-b", history(5), now - 20, status="interrupted")
    write_run(models, "cnn-c", history(1), now - 10)
    app = DltermApp(str(models), [])

    async def scenario():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("r")
            runs = app.query_one(RunsPane)
            assert [r.id for r in runs.runs] == ["cnn-c", "lstm-b", "cnn-a"]
            app.query_one("#runs-filter", Input).value = "cnn"
            await pilot.pause()
            assert [r.id for r in runs.runs] == ["cnn-c", "cnn-a"]
            app.query_one("#runs-filter", Input).value = "interr"
            await pilot.pause()
            assert [r.id for r in runs.runs] == ["lstm-b"] and runs.current.id == "lstm-b"
            app.query_one("#runs-filter", Input).value = ""
            await pilot.pause()
            table = app.query_one("#runs-table", DataTable)
            table.post_message(DataTable.HeaderSelected(table, table.ordered_columns[2].key, 2, table.ordered_columns[2].label))
            await pilot.pause()
            assert [r.id for r in runs.runs] == ["cnn-c", "cnn-a", "lstm-b"]  # epochs 1, 2, 5
            table.post_message(DataTable.HeaderSelected(table, table.ordered_columns[2].key, 2, table.ordered_columns[2].label))
            await pilot.pause()
            assert [r.id for r in runs.runs] == ["lstm-b", "cnn-a", "cnn-c"]

    asyncio.run(scenario())
