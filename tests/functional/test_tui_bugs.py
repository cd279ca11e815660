"""Issue 17's dashboard bugs, each pinned with Textual's pilot on fake event streams and
hand-written run folders (no training, no TensorFlow)."""

import asyncio
import time

import pytest
from textual.widgets import Button, DataTable, Select, TabbedContent

from dlterm.runstore import Run
from dlterm.tui.app import DltermApp
from dlterm.tui.confirm import ConfirmScreen
from dlterm.tui.runs_pane import RunsPane
from dlterm.tui.session import TrainingSession
from dlterm.tui.training_pane import TrainingPane
from dlterm.tui.widgets.curves import CurveChart

SLEEPS_UNTIL_SIGINT = "import signal, time; signal.signal(signal.SIGINT, signal.default_int_handler); time.sleep(60)"


def history(n, metric="accuracy", start=1):
    return [{"epoch": e, "loss": 1.0 / e, metric: 0.1 * e, "val_loss": 1.1 / e, f"val_{metric}": 0.09 * e,
             "lr": 0.001, "seconds": 1.0} for e in range(start, start + n)]


def session_of(run_id, rows, planned, label="cnn on shapes", initial=0, status_events=()):
    s = TrainingSession(label, [])
    events = [{"event": "run_created", "run_id": run_id},
              {"event": "run_start", "epochs": planned, "steps_per_epoch": 10, "initial_epoch": initial,
               "monitor": "val_loss", "phases": [{"name": "train", "epochs": planned}]}]
    events += [{"event": "epoch_end", "epoch": r["epoch"], "lr": r["lr"], "seconds": r["seconds"],
                "metrics": {k: v for k, v in r.items() if k not in ("epoch", "lr", "seconds")}} for r in rows]
    for e in [*events, *status_events]:
        s.apply(e)
    return s


def write_run(models, run_id, rows, created, status="completed", task="image-classification"):
    path = models / run_id
    path.mkdir(parents=True)
    run = Run(path, {"id": run_id, "plugin": run_id.split("-")[0], "task": task, "dataset": "shapes",
                     "created": created, "status": status, "epochs_completed": len(rows), "params": 100,
                     "config": {"hyperparameters": {}, "training": {"epochs": 10}, "data": {}}})
    run.save()
    run.write_history(rows)
    return run


@pytest.fixture
def models(tmp_path, monkeypatch):
    monkeypatch.delenv("DLTERM_PLUGIN_PATH", raising=False)
    monkeypatch.setenv("DLTERM_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "models"


def drive(app, scenario, size=(80, 24)):
    async def main():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await scenario(pilot)

    asyncio.run(main())


def test_one_epoch_is_a_point_on_an_axis_of_the_planned_epochs(models):
    app = DltermApp(str(models), [])

    async def scenario(pilot):
        app.query_one(TrainingPane).add_session(session_of("cnn-1", history(1), planned=8))
        await pilot.pause()
        chart = app.query_one("#loss-chart", CurveChart)
        assert chart.series == {"loss": [1.0], "val_loss": [1.1]}
        assert chart.x_range == (1.0, 8.0)  # not 0.9999990 … 1.0000005
        assert chart.y_range[0] < 1.0 < 1.1 < chart.y_range[1]

    drive(app, scenario)


def test_switching_runs_redraws_the_chart_title_cleanly(models):
    app = DltermApp(str(models), [])

    async def scenario(pilot):
        pane = app.query_one(TrainingPane)
        pane.add_session(session_of("cnn-1", history(3), planned=3))
        pane.add_session(session_of("lstm-1", history(3, metric="mae"), planned=3, label="lstm on seasonal"))
        await pilot.press("t")
        await pilot.pause()
        title = app.query_one("#metric-chart", CurveChart).query_one("#margin-top").render_line(0).text
        assert "━ mae ━ val_mae" in title and "acc" not in title

    drive(app, scenario)


def test_a_new_run_does_not_show_the_last_runs_axes(models):
    app = DltermApp(str(models), [])

    async def scenario(pilot):
        pane = app.query_one(TrainingPane)
        pane.add_session(session_of("cnn-1", history(30), planned=30))
        pane.add_session(session_of("cnn-2", [], planned=3))
        await pilot.pause()
        chart = app.query_one("#loss-chart", CurveChart)
        assert chart.series == {} and chart.x_range == (1.0, 3.0) and chart.y_range == (0.0, 1.0)
        assert "waiting for the first epoch" in chart.title

    drive(app, scenario)


def test_the_run_picker_tells_runs_apart_by_id_and_status(models):
    app = DltermApp(str(models), [])

    async def scenario(pilot):
        pane = app.query_one(TrainingPane)
        pane.add_session(session_of("cnn-1", history(2), planned=2,
                                    status_events=[{"event": "summary", "status": "completed"}]))
        pane.add_session(session_of("cnn-2", history(1), planned=2))
        pane.update_picker()
        labels = [str(label) for label, _ in app.query_one("#session-select", Select)._options if _ is not Select.NULL]
        assert labels == ["cnn-1 · completed · cnn on shapes", "cnn-2 · running · cnn on shapes"]

    drive(app, scenario)


def test_the_runs_tab_opens_on_the_run_just_watched_or_the_newest(models):
    now = int(time.time())
    write_run(models, "cnn-old", history(2), now - 100)
    write_run(models, "cnn-new", history(2), now)
    app = DltermApp(str(models), [])

    async def scenario(pilot):
        await pilot.press("r")
        runs = app.query_one(RunsPane)
        app.query_one("#runs-table", DataTable).move_cursor(row=1)
        await pilot.pause()
        assert runs.current.id == "cnn-old"
        await pilot.press("p")
        await pilot.press("r")
        assert runs.current.id == "cnn-new"  # not the old selection
        app.query_one(TrainingPane).add_session(session_of("cnn-old", history(2), planned=2))
        await pilot.press("r")
        assert runs.current.id == "cnn-old"  # the run the Training tab shows

    drive(app, scenario)


def test_a_resumed_run_keeps_its_earlier_epochs(models, monkeypatch):
    write_run(models, "cnn-1", history(3), int(time.time()), status="interrupted")
    app = DltermApp(str(models), [])
    monkeypatch.setattr(DltermApp, "watch_session", lambda self, session: None)  # no child process

    async def scenario(pilot):
        await pilot.press("r")
        await pilot.pause()
        app.query_one("#resume-button", Button).press()
        await pilot.pause()
        session = app.sessions[-1]
        for event in [{"event": "run_created", "run_id": "cnn-1"},
                      {"event": "run_start", "epochs": 5, "steps_per_epoch": 4, "initial_epoch": 3, "monitor": "val_loss",
                       "phases": [{"name": "train", "epochs": 5}]},
                      {"event": "epoch_end", "epoch": 4, "metrics": {"loss": 0.2, "val_loss": 0.3}, "lr": 0.001, "seconds": 1.0}]:
            session.apply(event)
            app.on_training_event(session, event)
        await pilot.pause()
        assert [r["epoch"] for r in session.history] == [1, 2, 3, 4]
        assert app.query_one("#loss-chart", CurveChart).series["loss"][:3] == [1.0, 0.5, 1 / 3]
        assert app.query_one("#epoch-table", DataTable).row_count == 4

    drive(app, scenario)


def test_letter_keys_do_nothing_in_form_controls_and_q_asks(models):
    app = DltermApp(str(models), [])

    async def scenario(pilot):
        pane = app.query_one("#plugins-pane")
        for _ in range(100):
            if pane.ready:
                break
            await pilot.pause(0.05)
        app.query_one("#train-button", Button).focus()
        await pilot.press("r", "t", "q")
        assert app.query_one("#tabs", TabbedContent).active == "plugins"
        assert not isinstance(app.screen, ConfirmScreen) and app.is_running
        app.query_one("#plugin-table").focus()
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmScreen)  # q asks, even with nothing running
        await pilot.press("n")
        assert app.is_running and not isinstance(app.screen, ConfirmScreen)
        await pilot.press("r")
        assert app.query_one("#tabs", TabbedContent).active == "runs"

    drive(app, scenario)


def test_the_quit_question_is_shown_whole_in_a_narrow_terminal(models):
    app = DltermApp(str(models), [])
    question = "2 training run(s) in progress. Stop (resumable) and quit?"

    async def scenario(pilot):
        app.push_screen(ConfirmScreen(question))
        await pilot.pause()
        label = app.screen.query_one("Label")
        shown = " ".join(label.render_line(y).text.strip() for y in range(label.region.height))
        assert shown == question
        assert app.screen.query_one("Vertical").region.right <= 50  # the dialog fits the screen

    drive(app, scenario, size=(50, 20))


def test_a_forecasting_run_offers_predict_steps_and_passes_them(models, monkeypatch):
    write_run(models, "lstm-1", history(2, metric="mae"), int(time.time()), task="sequence-forecasting")
    app = DltermApp(str(models), [])
    calls = []
    monkeypatch.setattr(RunsPane, "run_cli", lambda self, args, doing: calls.append(args))

    async def scenario(pilot):
        await pilot.press("r")
        for _ in range(40):
            if app.query("#predict-steps"):
                break
            await pilot.pause(0.05)
        app.query_one("#predict-steps").value = "3"
        app.query_one("#predict-input").value = "112 118 -3"
        app.query_one("#predict-button", Button).press()
        await pilot.pause()
        assert calls == [["predict", "lstm-1", "--steps=3", "--", "112", "118", "-3"]]

    drive(app, scenario)


def test_children_ending_while_the_app_closes_do_not_crash_it_nor_outlive_it(models):
    """CI once failed with NoMatches('SelectOverlay') from the run picker: a child's failure
    summary arrived while the app took its widgets down. Children that fail at staggered
    times around the close cover that window; one that would run on is stopped."""
    import sys

    app = DltermApp(str(models), [])
    failing = [TrainingSession(f"fails after {d} s", [sys.executable, "-c", f"import time; time.sleep({d}); "
                                                      "raise SystemExit('error: bad data')"])
               for d in (0.05 * i for i in range(2, 24))]
    # Like `dlterm train`, it handles SIGINT itself: a shell's background job inherits SIGINT ignored.
    lasting = TrainingSession("runs on", [sys.executable, "-c", SLEEPS_UNTIL_SIGINT])

    async def main():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            for session in [*failing, lasting]:
                app.start_session(session)
            await pilot.pause(0.5)
        # run_test re-raises anything the app or a worker raised while closing
        for _ in range(200):  # it sleeps 60 s unless stopped; 20 s leave room for a loaded machine
            if lasting.process is not None and lasting.process.returncode is not None:
                break
            await asyncio.sleep(0.1)
        assert lasting.process is not None and lasting.process.returncode is not None

    asyncio.run(main())


def test_a_chart_filled_while_hidden_fits_its_ticks_to_its_width_once_shown():
    """The Runs tab fills its chart before its first layout (the tab is hidden): the ticks
    guessed from no width must be redone when the chart gets one (an 80x24 snapshot
    showed 1 3 5 or 1 2 3 4 5 depending on which came first)."""
    from textual.app import App

    class OneChart(App):
        def compose(self):
            yield CurveChart("accuracy", id="chart")

    app = OneChart()

    async def main():
        async with app.run_test(size=(80, 24)) as pilot:
            chart = app.query_one(CurveChart)
            chart.display = False
            await pilot.pause()
            chart.show_history(history(5))
            assert chart._x_ticks == [1.0, 3.0, 5.0]  # no width yet: spaced for the narrowest chart
            chart.display = True
            await pilot.pause()
            assert chart.size.width > 60 and chart._x_ticks == [1.0, 2.0, 3.0, 4.0, 5.0]

    asyncio.run(main())
