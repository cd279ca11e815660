"""The dashboard's Delete button goes through the run store's delete service: a busy run
is refused with a notice, links inside the run are removed, never followed."""

import asyncio

from dlterm.runstore import RunStore
from dlterm.tui.app import DltermApp
from dlterm.tui.runs_pane import RunsPane
from tests.functional.test_run_store_attacks import GOOD, OTHER, make_run


def press_delete(models, run_id, busy=False):
    async def scenario():
        app = DltermApp(str(models), [])
        async with app.run_test(size=(120, 40)) as pilot:
            app.action_tab("runs")
            await pilot.pause()
            pane = app.query_one(RunsPane)
            pane.show_run(next(r for r in pane.runs if r.id == run_id))
            holder = RunStore(models).get(run_id) if busy else None
            if holder:
                holder.hold("exporting")
            try:
                app.query_one("#delete-button").press()
                await pilot.pause()
                await pilot.press("y")
                await pilot.pause()
            finally:
                if holder:
                    holder.release()
            return [n.message for n in app._notifications], [r.id for r in pane.runs]

    return asyncio.run(scenario())


def test_the_delete_button_deletes_through_the_store_and_never_follows_links(tmp_path):
    models = tmp_path / "models"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    make_run(models, GOOD)
    make_run(models, OTHER, plugin="lstm")
    (models / GOOD / "exports").symlink_to(outside, target_is_directory=True)
    notices, listed = press_delete(models, GOOD)
    assert f"deleted {GOOD}" in notices and listed == [OTHER]
    assert not (models / GOOD).exists() and (outside / "precious.txt").read_text() == "keep me"


def test_the_delete_button_refuses_a_busy_run(tmp_path):
    models = tmp_path / "models"
    make_run(models, GOOD)
    notices, listed = press_delete(models, GOOD, busy=True)
    assert any("not deleted" in n and "busy: exporting" in n for n in notices), notices
    assert (models / GOOD / "run.json").is_file() and GOOD in listed
