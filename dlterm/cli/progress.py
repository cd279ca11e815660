"""Render the training event stream in a terminal with rich: one line per epoch, a live bar."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dlterm.tasks import all_tasks
from dlterm.views import format_metric, metric_notes

SHORT_NAMES = {"accuracy": "acc", "val_accuracy": "val_acc"}


def format_metrics(metrics: dict[str, float], keys: list[str] | None = None) -> str:
    keys = keys or list(metrics)
    return "  ".join(f"{SHORT_NAMES.get(k, k)} {format_metric(k, metrics[k])}" for k in keys if k in metrics)


def format_eta(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "-:--:--"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Eta:
    """Time left at the pace so far. Rich's own estimate needs several updates within
    30 s, which an epoch bar (one update an epoch) never gets."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.start: float | None = None
        self.done_at_start = 0

    def begin(self, done: int = 0) -> None:
        self.start, self.done_at_start = self.clock(), done

    def remaining(self, done: int, total: int) -> float | None:
        if self.start is None or done <= self.done_at_start or total <= 0:
            return None
        per_unit = (self.clock() - self.start) / (done - self.done_at_start)
        return per_unit * max(0, total - done)


class ProgressDisplay:
    """An event sink that draws progress; falls back to plain lines when not a terminal."""

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=False, highlight=False)
        self.progress: Progress | None = None
        self.epoch_task: Any = None
        self.step_task: Any = None
        self.epoch_eta, self.step_eta = Eta(), Eta()
        self.task, self.monitor = "", ""

    def __call__(self, event: dict[str, Any]) -> None:
        handler = getattr(self, "on_" + event["event"], None)
        if handler:
            handler(event)

    def _print(self, text: str) -> None:
        (self.progress.console if self.progress else self.console).print(text, soft_wrap=True)

    def on_run_created(self, e: dict[str, Any]) -> None:
        verb = "resuming" if e.get("resumed") else "run"
        self.console.print(f"[bold]{verb} {e['run_id']}[/] — {e['plugin']} on {e['dataset']} → {e['run_dir']}")

    def on_data_loaded(self, e: dict[str, Any]) -> None:
        s = e["sizes"]
        self.console.print(f"data: {s['train']} train / {s['val']} validation / {s['test']} test samples")
        for note in e.get("notes", []):
            self.console.print(f"[yellow]note:[/] {note}")

    def on_run_start(self, e: dict[str, Any]) -> None:
        replicas = f"; {e['replicas']} replicas ({e['strategy']})" if e.get("replicas", 1) > 1 else ""
        self.console.print(f"model: {e['params']:,} parameters; {e['epochs']} epochs of {e['steps_per_epoch']} steps; "
                           f"best checkpoint by {e['monitor']}{replicas}")
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("eta {task.fields[eta]}"),
                                 TextColumn("{task.fields[info]}"), console=self.console, transient=True)
        self.progress.start()
        self.epochs, self.steps = e["epochs"], e["steps_per_epoch"]
        self.task, self.monitor = str(e.get("task", "")), str(e.get("monitor", ""))
        self.epoch_eta.begin(e["initial_epoch"])
        self.step_eta.begin()
        self.epoch_task = self.progress.add_task("epochs", total=e["epochs"], completed=e["initial_epoch"], info="",
                                                 eta=format_eta(None))
        self.step_task = self.progress.add_task("steps ", total=e["steps_per_epoch"], info="", eta=format_eta(None))

    def on_batch(self, e: dict[str, Any]) -> None:
        if self.progress:
            eta = format_eta(self.step_eta.remaining(e["step"], e["steps"]))
            self.progress.update(self.step_task, completed=e["step"], info=format_metrics(e["metrics"], ["loss"]), eta=eta)

    def on_epoch_end(self, e: dict[str, Any]) -> None:
        self._print(f"epoch {e['epoch']}/{e['epochs']}  {format_metrics(e['metrics'])}  lr {e['lr']:.1e}  {e['seconds']:.1f}s")
        if self.progress:
            eta = format_eta(self.epoch_eta.remaining(e["epoch"], e["epochs"]))
            self.progress.update(self.epoch_task, completed=e["epoch"], eta=eta)
            self.progress.reset(self.step_task, info="", eta=format_eta(None))
            self.step_eta.begin()

    def on_phase(self, e: dict[str, Any]) -> None:
        self._print(f"[bold]phase {e['index']}/{e['of']}: {e['name']}[/] — epochs {e['first_epoch']}-{e['last_epoch']}, "
                    f"learning rate {e['learning_rate']:.1e}")

    def on_evaluated(self, e: dict[str, Any]) -> None:
        if "metrics" in e:
            self._print(f"test split ({e['samples']} samples, best checkpoint): {format_metrics(e['metrics'])}")
            task = all_tasks().get(self.task)
            for line in metric_notes(task and task.metric_note, [self.monitor, *e["metrics"]]):  # which is which
                self._print(line)
        else:
            self._print(f"[yellow]evaluation skipped:[/] {e['error']}")

    def on_checkpoint(self, e: dict[str, Any]) -> None:
        self._print(f"  [green]↳ best so far[/] ({e['monitor']} {format_metric(e['monitor'], e['value'])}) saved")

    def on_early_stop(self, e: dict[str, Any]) -> None:
        why = e.get("reason") or f"{e['monitor']} stopped improving"
        self._print(f"[yellow]early stop[/] after epoch {e['epoch']}: {why}")

    def on_interrupted(self, e: dict[str, Any]) -> None:
        self._print(f"[yellow]interrupted[/] ({e['reason']}) after {e['epoch']} complete epoch(s)")

    def on_failed(self, e: dict[str, Any]) -> None:
        self._print(f"[red]failed:[/] {e['error']}")

    def on_summary(self, e: dict[str, Any]) -> None:
        if self.progress:
            self.progress.stop()
            self.progress = None
        best = e.get("best") or {}
        best_text = f"; best {best['monitor']} {format_metric(best['monitor'], best['value'])} at epoch {best['epoch']}" if best else ""
        self.console.print(f"[bold]{e['status']}[/]: {e['epochs_completed']} epoch(s){best_text}")
        if e["status"] == "interrupted":
            self.console.print(f"resume with: dlterm train --resume {e['run_id']}")
