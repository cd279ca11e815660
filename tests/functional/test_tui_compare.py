"""The dashboard's compare view draws any number of marked runs with the open one."""

import asyncio

from dlterm.tui.app import DltermApp
from dlterm.tui.runs_pane import RunsPane
from dlterm.tui.widgets.curves import CurveChart
from tests.unit.run_folders import make_run


def test_compare_marks_any_number_of_runs_and_unmarks_them(tmp_path):
    models = tmp_path / "models"
    for n in range(4):
        make_run(models, f"cnn-2026010{n}-000000", created=float(n))

    async def scenario():
        app = DltermApp(str(models), [])
        async with app.run_test(size=(140, 44)) as pilot:
            app.action_tab("runs")
            await pilot.pause()
            pane = app.query_one(RunsPane)
            by_id = {r.id: r for r in pane.runs}
            for run_id in ("cnn-20260100-000000", "cnn-20260101-000000", "cnn-20260102-000000"):
                pane.show_run(by_id[run_id])
                app.query_one("#compare-button").press()
                await pilot.pause()
            pane.show_run(by_id["cnn-20260103-000000"])
            drawn = sorted(app.query_one("#run-chart", CurveChart).series)
            detail = str(app.query_one("#run-detail").render())
            pane.show_run(by_id["cnn-20260101-000000"])
            app.query_one("#compare-button").press()  # unmark one
            await pilot.pause()
            pane.show_run(by_id["cnn-20260103-000000"])
            return drawn, detail, sorted(app.query_one("#run-chart", CurveChart).series)

    drawn, detail, after = asyncio.run(scenario())
    # the open run's loss and val_loss, and the same two lines for each of the three marked runs
    assert len(drawn) == 8 and {"0-000000:loss", "2-000000:val_loss", "loss", "val_loss"} <= set(drawn)
    assert all(f"cnn-2026010{n}-000000" in detail for n in range(3))
    assert len(after) == 6
