"""Training tab: progress with ETA, then curves, epochs and the child's log in sub-tabs,
per watched run.

Sub-tabs keep 80x24 usable: the two charts share the full height left under the progress
bars instead of one plotting row each beside an epoch table.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import (
    Button,
    DataTable,
    Label,
    Log,
    ProgressBar,
    Select,
    Sparkline,
    Static,
    TabbedContent,
    TabPane,
)

from dlterm.tui.session import TrainingSession
from dlterm.tui.widgets.curves import CurveChart


def main_metric(history: list[dict[str, Any]]) -> str:
    """The first metric that is not the loss (accuracy, mae...)."""
    for row in history:
        for key in row:
            if key not in ("epoch", "loss", "lr", "seconds") and not key.startswith("val_"):
                return key
    return "accuracy"


class TrainingPane(Vertical):
    DEFAULT_CSS = """
    TrainingPane #session-bar { height: 1; }
    TrainingPane #session-select { width: 1fr; }
    TrainingPane #session-header { height: auto; padding: 0 1; }
    TrainingPane .bar { height: 1; }
    TrainingPane .bar Label { width: 9; }
    TrainingPane #training-views { height: 1fr; }
    TrainingPane #training-views TabPane { padding: 0; }
    TrainingPane #charts { height: 1fr; }
    TrainingPane #batch-loss { height: 1; width: 1fr; }
    TrainingPane #epoch-table, TrainingPane #training-log { height: 1fr; }
    """

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.sessions: list[TrainingSession] = []
        self.shown: TrainingSession | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="session-bar"):
            yield Select([], id="session-select", prompt="no training yet: pick a plugin and press Train", compact=True)
            yield Button("Stop", id="stop-button", variant="error", disabled=True, compact=True)
        yield Static("", id="session-header")
        with Horizontal(classes="bar"):
            yield Label(" epochs")
            # total=1, not None: an indeterminate bar pulses, as if something were running.
            yield ProgressBar(total=1, id="epoch-progress", show_eta=True)
        with Horizontal(classes="bar"):
            yield Label(" steps")
            yield ProgressBar(total=1, id="step-progress", show_eta=False)
        with TabbedContent(id="training-views"):
            with TabPane("curves", id="curves-view"):
                with Horizontal(id="charts"):
                    yield CurveChart("loss", id="loss-chart")
                    yield CurveChart("accuracy", id="metric-chart")
                with Horizontal(classes="bar"):
                    yield Label(" batches")
                    yield Sparkline([], id="batch-loss", summary_function=max)
            with TabPane("epochs", id="epochs-view"):
                yield DataTable(id="epoch-table", zebra_stripes=True)
            with TabPane("log", id="log-view"):
                yield Log(id="training-log", max_lines=500)

    def add_session(self, session: TrainingSession) -> None:
        self.sessions.append(session)
        self.update_picker(select=session)
        self.show(session)

    def update_picker(self, select: TrainingSession | None = None) -> None:
        """Relabel the run picker (ids and statuses change as runs go); keep its choice."""
        picker = self.query_one("#session-select", Select)
        chosen = select or self.shown
        with picker.prevent(Select.Changed):
            picker.set_options([(s.picker_label, i) for i, s in enumerate(self.sessions)])
            if chosen is not None:
                picker.value = self.sessions.index(chosen)

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "session-select" and isinstance(event.value, int):
            if self.sessions[event.value] is not self.shown:
                self.show(self.sessions[event.value])

    def show(self, session: TrainingSession) -> None:
        self.shown = session
        self.query_one("#epoch-table", DataTable).clear(columns=True)
        log = self.query_one("#training-log", Log)
        log.clear()
        log.write_lines(list(session.stderr_tail))
        self.refresh_session(session, full=True)

    def show_event(self, session: TrainingSession, event: dict[str, Any]) -> None:
        kind = event["event"]
        if kind in ("run_created", "summary"):
            self.update_picker()
        if session is not self.shown:
            return
        if kind == "log":
            self.query_one("#training-log", Log).write_line(event["line"])
            return
        self.refresh_session(session, full=kind in ("epoch_end", "run_start", "summary"))

    def refresh_session(self, s: TrainingSession, full: bool) -> None:
        phase = f"  phase {s.phase_index}/{len(s.phases)}: {s.phase}" if s.phase and s.phases else ""
        error = f"\n[red]{s.error}[/]" if s.error else ""
        resume = f"\nresume it from the Runs tab (run {s.run_id})" if s.status == "interrupted" else ""
        self.query_one("#session-header", Static).update(
            f"[b]{s.run_id or s.label}[/]  {s.status}{phase}  epoch {s.epoch}/{s.epochs or '?'}{error}{resume}")
        self.query_one("#stop-button", Button).disabled = not s.active
        self.query_one("#epoch-progress", ProgressBar).update(total=s.epochs or 1, progress=s.epoch)
        self.query_one("#step-progress", ProgressBar).update(total=s.steps or 1, progress=s.step)
        self.query_one("#batch-loss", Sparkline).data = list(s.batch_losses)
        # Starting a child (TensorFlow import, data loading) takes seconds: show it is busy.
        self.query_one("#charts").loading = s.active and not s.epochs
        if not full:
            return
        metric = main_metric(s.history)
        chart = self.query_one("#metric-chart", CurveChart)
        chart.metric = metric
        self.query_one("#loss-chart", CurveChart).show_history(s.history, planned_epochs=s.epochs)
        chart.show_history(s.history, planned_epochs=s.epochs)
        table = self.query_one("#epoch-table", DataTable)
        if s.history:
            keys = [k for k in s.history[0] if k != "seconds"]
            if not table.columns:
                table.add_columns(*keys, "s")
            if table.row_count > len(s.history):  # a resume dropped epochs past its start
                table.clear()
            for row in s.history[table.row_count:]:
                table.add_row(*[_fmt(row.get(k)) for k in keys], _fmt(row.get("seconds")))
            table.move_cursor(row=table.row_count - 1)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "stop-button" and self.shown is not None:
            event.stop()
            self.shown.stop()
            self.app.notify("stopping after the current batch…")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if value >= 1e-3 or value == 0 else f"{value:.1e}"
    return str(value)
