"""Snapshots of the dashboard's screens; update with `pytest --snapshot-update` after a
deliberate UI change, and review the SVG diff."""

import pytest

from dlterm.tui.app import DltermApp


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.delenv("DLTERM_PLUGIN_PATH", raising=False)
    (tmp_path / "plugins").mkdir()
    return DltermApp(str(tmp_path / "models"), [str(tmp_path / "plugins")])


def test_plugins_screen_80x24(app, snap_compare):
    assert snap_compare(app, terminal_size=(80, 24))


def test_plugins_screen_lstm_selected(app, snap_compare):
    async def pick_lstm(pilot):
        await pilot.press("down", "down", "down")  # cnn, gru, lenet5, lstm
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=pick_lstm)


def test_training_screen_before_any_run(app, snap_compare):
    assert snap_compare(app, terminal_size=(100, 30), press=["t"])


def test_runs_screen_without_runs(app, snap_compare):
    assert snap_compare(app, terminal_size=(100, 30), press=["r"])
