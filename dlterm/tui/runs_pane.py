"""Runs tab: every run, a run's details and curves, compare, resume, delete, export, try."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from dlterm.errors import DltermError
from dlterm.export_variants import ALL, FORMATS, quantizations_of
from dlterm.runstore import EXPORTS_DIR, Run, RunStore
from dlterm.tasks import all_tasks
from dlterm.tui.confirm import ConfirmScreen
from dlterm.tui.predict_input import predict_items
from dlterm.tui.widgets.curves import CurveChart
from dlterm.tui.widgets.form import SpecForm
from dlterm.views import config_lines, evaluation_line, export_line, prediction_line, run_header, run_row

# Id and status first: a narrow pane scrolls the rest, never those.
RUNS_PANE_COLUMNS = ("run", "status", "epochs", "best", "plugin", "dataset", "created")


class ResumeRequested(Message):
    def __init__(self, run_id: str):
        super().__init__()
        self.run_id = run_id


class RunsPane(Horizontal):
    DEFAULT_CSS = """
    RunsPane #runs-list { width: 45%; min-width: 34; }
    RunsPane #runs-filter { margin-bottom: 1; }
    RunsPane #run-detail-scroll { width: 1fr; padding: 0 1; }
    RunsPane #run-chart { height: 14; }
    RunsPane .buttons { height: auto; }
    RunsPane .buttons Button { margin-right: 1; min-width: 8; }
    RunsPane .buttons Select { width: 16; }
    RunsPane #predict-input { width: 1fr; }
    RunsPane .section { text-style: bold; margin-top: 1; }
    RunsPane #predict-options { height: auto; }
    RunsPane #export-output { display: none; }
    RunsPane #export-output.-shown { display: block; }
    """

    def __init__(self, models_dir: str | None, **kwargs: Any):
        super().__init__(**kwargs)
        self.store = RunStore(models_dir)
        self.runs: list[Run] = []
        self.current: Run | None = None
        self.compared: list[Run] = []  # runs drawn with the open one (Compare toggles)
        self.sort_by: str | None = None  # a column of RUNS_PANE_COLUMNS; None = newest first
        self.sort_reverse = False

    def compose(self) -> ComposeResult:
        with Vertical(id="runs-list"):
            yield Input(placeholder="filter: id, plugin, dataset or status", id="runs-filter", compact=True)
            yield DataTable(id="runs-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="run-detail-scroll"):
            yield Static("no runs yet", id="run-detail")
            yield CurveChart("loss", id="run-chart")
            with Horizontal(classes="buttons"):
                yield Button("Resume", id="resume-button")
                yield Button("Compare", id="compare-button", tooltip="add this run to (or take it out of) the runs drawn with every run you open")
                yield Button("Delete", id="delete-button", variant="error")
                yield Button("Refresh", id="refresh-button")
            yield Label("export (verified against Keras)", classes="section")
            with Horizontal(classes="buttons"):
                yield Select([(f, f) for f in (*FORMATS, ALL)], value="onnx", allow_blank=False, id="export-format")
                yield Select(quantize_options("onnx"), value="none", allow_blank=False, id="export-quantize")
                yield Button("Export", id="export-button", variant="primary")
            yield Static("", id="export-output")  # shown once there is something to say
            yield Label("try it: image path(s), recent values, a text or a seed text", classes="section")
            with Horizontal(classes="buttons"):
                yield Input(placeholder="e.g. digit.png  ·  112 118 132 129  ·  a wonderful film", id="predict-input")
                yield Button("Predict", id="predict-button", variant="primary")
            # Right under the field, above the options: the answer lands where the eyes are,
            # and show_output scrolls it into view (at 80x24 the field is the pane's last row).
            yield Static("", id="predict-output")
            yield Vertical(id="predict-options")

    def on_mount(self) -> None:
        table = self.query_one("#runs-table", DataTable)
        table.add_columns(*RUNS_PANE_COLUMNS)
        self.reload()

    def reload(self, prefer: str | None = None) -> None:
        """Re-read the runs; select ``prefer`` ("" = the newest), else keep the selection."""
        table = self.query_one("#runs-table", DataTable)
        keep = prefer if prefer is not None else (self.current.id if self.current else None)
        table.clear()
        self.runs = filter_and_sort(self.store.runs(), self.query_one("#runs-filter", Input).value,
                                    self.sort_by, self.sort_reverse)
        for r in self.runs:
            cells = run_row(r.meta, r.status, short=True)
            table.add_row(*(cells[c] for c in RUNS_PANE_COLUMNS), key=r.id)
        index = next((i for i, r in enumerate(self.runs) if r.id == keep), 0)
        if self.runs:
            table.move_cursor(row=index)
            self.show_run(self.runs[index])
        else:
            self.current = None
            filtered = bool(self.query_one("#runs-filter", Input).value.strip())
            self.query_one("#run-detail", Static).update(
                "no run matches the filter" if filtered else "no runs yet: train one from the Plugins tab")

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "runs-filter":
            event.stop()
            self.reload()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """A click on a header sorts by it; a second click reverses."""
        if event.data_table.id != "runs-table":
            return
        column = RUNS_PANE_COLUMNS[event.column_index]
        self.sort_reverse = not self.sort_reverse if self.sort_by == column else False
        self.sort_by = column
        self.reload()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "runs-table" and 0 <= event.cursor_row < len(self.runs):
            self.show_run(self.runs[event.cursor_row])

    def show_run(self, run: Run) -> None:
        if self.current is None or self.current.id != run.id:  # another run's answers would mislead
            for command in ("export", "predict"):
                self.show_output(command, "", scroll=False)
        self.current = run
        self.call_later(self.show_predict_options, run)
        if run.damaged:
            self.query_one("#run-detail", Static).update(f"[b]{run.id}[/]  [red]damaged[/]: {escape(run.damaged)}")
            self.query_one("#run-chart", CurveChart).show_history([])
            self.query_one("#resume-button", Button).disabled = True
            self.query_one("#delete-button", Button).disabled = False
            return
        from dlterm.evaluate import evaluation_of
        from dlterm.export import exports_of

        lines = run_header(run.meta, run.status) + config_lines(run.meta, ("hyperparameters", "training"))
        evaluation = evaluation_of(run)
        if evaluation:
            lines.append("[b]test[/]: " + evaluation_line(evaluation))
        lines += [f"[b]export[/] {export_line(e)}" for e in exports_of(run)]
        others = self.compared_with(run)
        if others:
            lines.append("[b]comparing with[/] " + ", ".join(escape(o.id) for o in others))
        self.query_one("#run-detail", Static).update("\n".join(lines))
        chart = self.query_one("#run-chart", CurveChart)
        chart.show_history(run.history())
        labels = short_labels([run.id] + [o.id for o in others])
        for n, other in enumerate(others, start=1):
            chart.show_history(other.history(), prefix=f"{labels[n]}:", style_offset=2 * n, clear=False)
        self.query_one("#resume-button", Button).disabled = run.status != "interrupted"
        self.query_one("#delete-button", Button).disabled = run.status == "running"

    def compared_with(self, run: Run) -> list[Run]:
        """The marked runs drawn with ``run`` (never itself)."""
        return [r for r in self.compared if r.id != run.id]

    def toggle_compared(self, run: Run) -> None:
        """Mark a run for comparison, or unmark it; any number of runs can be marked."""
        if any(r.id == run.id for r in self.compared):
            self.compared = [r for r in self.compared if r.id != run.id]
            self.app.notify(f"{run.id} no longer compared ({len(self.compared)} marked)")
        else:
            self.compared.append(run)
            self.app.notify(f"marked {run.id} ({len(self.compared)} marked): every run you open is drawn with them")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        run = self.current
        if event.button.id == "refresh-button":
            self.reload()
        if run is None:
            return
        if event.button.id == "resume-button":
            self.post_message(ResumeRequested(run.id))
        elif event.button.id == "compare-button":
            self.toggle_compared(run)
            self.show_run(run)
        elif event.button.id == "delete-button":
            self.app.push_screen(ConfirmScreen(f"Delete run {run.id} and all its files?"), lambda yes: yes and self.delete(run))
        elif event.button.id == "export-button":
            self.export_current()
        elif event.button.id == "predict-button":
            self.predict(run)

    def export_current(self) -> None:
        run = self.current
        if run is None:
            self.app.notify("no run selected: pick one in the Runs tab", severity="warning")
            return
        fmt = str(self.query_one("#export-format", Select).value)
        quant = str(self.query_one("#export-quantize", Select).value)
        self.run_cli(["export", run.id, "--format", fmt, "--quantize", quant], f"exporting {run.id} to {fmt}")

    def on_select_changed(self, event: Select.Changed) -> None:
        """The quantize choices follow the format: what it offers (ONNX has no float16 or
        int8-full), the current choice kept when it still applies."""
        if event.select.id != "export-format":
            return
        event.stop()
        quantize = self.query_one("#export-quantize", Select)
        keep = quantize.value
        options = quantize_options(str(event.value))
        quantize.set_options(options)
        quantize.value = keep if any(keep == value for _, value in options) else "none"

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the prediction field predicts, like the button."""
        if event.input.id == "predict-input" and self.current is not None:
            event.stop()
            self.predict(self.current)

    async def show_predict_options(self, run: Run) -> None:
        """The predict options of the run's task (steps, length, temperature, beam) as fields."""
        task = str(run.meta.get("task"))
        holder = self.query_one("#predict-options", Vertical)
        shown = next(iter(holder.query(SpecForm)), None)
        if shown is not None and getattr(shown, "predict_task", None) == task:
            return
        await holder.remove_children()
        options = all_tasks()[task].predict_options if task in all_tasks() else ()
        if options:
            form = SpecForm(list(options), prefix="predict-")
            form.predict_task = task  # type: ignore[attr-defined]
            await holder.mount(form)

    def predict(self, run: Run) -> None:
        items = predict_items(self.query_one("#predict-input", Input).value, _text_input(run))
        if not items:
            self.app.notify("type what to predict first: image path(s), recent values or a text", severity="warning")
            return
        options: list[str] = []
        form = next(iter(self.query_one("#predict-options").query(SpecForm)), None)
        if form is not None and getattr(form, "predict_task", None) == run.meta.get("task"):
            try:
                options = [f"--{k}={v}" for k, v in form.values().items()]
            except ValueError as e:
                self.app.notify(f"fix the predict options first: {e}", severity="error")
                return
        exported = run.file(EXPORTS_DIR) / "model.onnx"
        model = str(exported) if exported.is_file() else run.id
        self.run_cli(["predict", model, *options, "--", *items], "predicting")

    def delete(self, run: Run) -> None:
        """Through the run store's delete: refuses a busy run, never follows links."""
        try:
            self.store.delete(run.id)
        except DltermError as e:
            self.app.notify(f"not deleted: {e.message}", severity="error")
            return
        self.compared = [r for r in self.compared if r.id != run.id]
        self.current = None
        self.app.notify(f"deleted {run.id}")
        self.reload()

    @work(exclusive=True, group="run-cli")
    async def run_cli(self, args: list[str], doing: str) -> None:
        """Run a dlterm command in a child process (TensorFlow stays out of the UI).

        The button spins and the line under its row says what happens (exporting takes 5 to
        30 s); toasts say it when the pane is out of sight."""
        button = self.query_one(f"#{args[0]}-button", Button)
        self.show_output(args[0], f"{doing}…")
        self.toast(f"{doing}… (runs in the background)", timeout=3)
        cmd = self.cli_command(args)
        button.loading = True
        try:
            proc = await asyncio.create_subprocess_exec(*cmd, stdin=asyncio.subprocess.DEVNULL,
                                                        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            stdout, stderr = await proc.communicate()
        finally:
            button.loading = False
        if proc.returncode != 0:
            message = stderr.decode(errors="replace").strip().splitlines()
            line = message[-1] if message else f"{args[0]} failed"
            self.show_output(args[0], f"[red]{escape(line)}[/]")
            self.toast(line, title=f"{args[0]} failed", severity="error", timeout=10)
            return
        result = json.loads(stdout.decode())
        lines = [export_line(r) for r in result] if args[0] == "export" else [prediction_line(r) for r in result]
        self.show_output(args[0], "\n".join(lines))
        self.toast("\n".join(lines[:4]) + ("\n…" if len(lines) > 4 else ""), title=f"{args[0]} done", timeout=10)
        if args[0] == "export" and self.current:
            self.show_run(self.current)

    def cli_command(self, args: list[str]) -> list[str]:
        """The child process of ``run_cli``: ``dlterm COMMAND --json`` on this pane's models."""
        return [sys.executable, "-m", "dlterm", args[0], "--json", "--models-dir", str(self.store.root), *args[1:]]

    def toast(self, message: str, **kwargs: Any) -> None:
        """A notification only while the pane is out of sight (another tab, or the palette
        started the export): on screen, the output says it, and a toast would cover it."""
        if self.region.area == 0 or self.screen is not self.app.screen:
            self.app.notify(message, **kwargs)

    def show_output(self, command: str, text: str, scroll: bool = True) -> None:
        """Write under the command's row (export or predict) and scroll it into view."""
        out = self.query_one(f"#{command}-output", Static)
        out.update(text)
        out.set_class(bool(text), "-shown")
        if scroll:
            self.call_after_refresh(out.scroll_visible, animate=False)


def quantize_options(fmt: str) -> list[tuple[str, str]]:
    """The export form's quantize choices for a format choice, from the export's own list."""
    return [(q, q) for q in (*quantizations_of(fmt), ALL)]


def sort_key(run: Run, column: str) -> Any:
    """What a column sorts by: numbers as numbers, text as lower-case text."""
    meta = run.meta
    if column == "epochs":
        return int(meta.get("epochs_completed") or 0)
    if column == "created":
        return float(meta.get("created") or 0)
    if column == "best":
        value = (meta.get("best") or {}).get("value")
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else float("-inf")
    value = run.status if column == "status" else meta.get({"run": "id"}.get(column, column), "")
    return str(value).lower()


def filter_and_sort(runs: list[Run], text: str, column: str | None, reverse: bool) -> list[Run]:
    """Runs whose id, plugin, dataset or status contain every typed word; sorted by ``column``."""
    words = text.lower().split()
    if words:
        def haystack(r: Run) -> str:
            return " ".join(str(x) for x in (r.id, r.meta.get("plugin"), r.meta.get("dataset"), r.status)).lower()
        runs = [r for r in runs if all(w in haystack(r) for w in words)]
    if column:
        runs = sorted(runs, key=lambda r: sort_key(r, column), reverse=reverse)
    return runs


def short_labels(ids: list[str], shortest: int = 6) -> list[str]:
    """The shortest endings (at least ``shortest`` characters) that tell the ids apart:
    legend labels that fit a narrow chart."""
    for n in range(shortest, max(map(len, ids), default=0) + 1):
        ends = [i[-n:] for i in ids]
        if len(set(ends)) == len(ends):
            return ends
    return list(ids)


def _text_input(run: Run) -> bool:
    from dlterm.errors import DltermError
    from dlterm.tasks import get_task

    try:
        return get_task(str(run.meta.get("task"))).text_input
    except DltermError:
        return False
