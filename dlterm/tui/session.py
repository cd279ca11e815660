"""A training run in a child ``dlterm train --json`` process, read event by event.

The child keeps TensorFlow (and its C++ logging) out of the UI process, and makes Stop
clean: SIGINT asks the trainer to stop after the current batch and leave a resumable,
interrupted run. No Textual here: the dashboard subscribes with a callback.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from dlterm.events import parse_event_line


def train_command(plugin: str | None, *, dataset: str | None = None, settings: dict[str, Any] | None = None,
                  resume: str | None = None, models_dir: str | None = None, plugin_dirs: list[str] | None = None) -> list[str]:
    """The exact CLI call the dashboard makes (shown to the user, too)."""
    cmd = [sys.executable, "-m", "dlterm", "train", "--json"]
    if resume:
        cmd += ["--resume", resume]
    elif plugin:
        cmd.append(plugin)
    if dataset:
        cmd += ["--dataset", dataset]
    for key, value in (settings or {}).items():
        cmd += ["--set", f"{key}={str(value).lower() if isinstance(value, bool) else value}"]
    if models_dir:
        cmd += ["--models-dir", models_dir]
    for d in plugin_dirs or []:
        cmd += ["--plugin-dir", d]
    return cmd


@dataclass
class TrainingSession:
    """State of one watched run, rebuilt from its events."""

    label: str
    command: list[str]
    run_id: str | None = None
    status: str = "starting"  # starting | running | completed | interrupted | failed
    epochs: int = 0
    steps: int = 0
    epoch: int = 0
    step: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    batch_losses: deque = field(default_factory=lambda: deque(maxlen=200))
    error: str | None = None
    stderr_tail: deque = field(default_factory=lambda: deque(maxlen=500))  # the log pane's lines
    monitor: str = ""
    phases: list[dict[str, Any]] = field(default_factory=list)  # [{name, epochs}] of a phased plugin
    phase: str = ""  # the phase being trained, from the latest ``phase`` event
    phase_index: int = 0  # 1-based
    process: asyncio.subprocess.Process | None = None
    stop_requested: bool = False

    @property
    def active(self) -> bool:
        return self.status in ("starting", "running")

    @property
    def picker_label(self) -> str:
        """How the run picker names it: runs of one plugin and dataset differ by id and status."""
        return f"{self.run_id or 'new run'} · {self.status} · {self.label}"

    def apply(self, event: dict[str, Any]) -> None:
        """Fold one event into the session's state."""
        kind = event["event"]
        if kind == "run_created":
            self.run_id = event["run_id"]
            self.status = "running"
        elif kind == "run_start":
            self.epochs, self.steps = event["epochs"], event["steps_per_epoch"]
            self.epoch = event["initial_epoch"]
            # A resumed run starts with the epochs it already has (read from its run folder by
            # whoever made the session); any past the resume point were not kept.
            self.history = [row for row in self.history if row.get("epoch", 0) <= self.epoch]
            self.monitor = event.get("monitor", "")
            self.phases = list(event.get("phases") or [])
            if len(self.phases) == 1:  # a single phase has no phase events
                self.phase = ""
        elif kind == "batch":
            self.step = event["step"]
            if "loss" in event["metrics"]:
                self.batch_losses.append(event["metrics"]["loss"])
        elif kind == "epoch_end":
            self.epoch, self.step = event["epoch"], 0
            self.history.append({"epoch": event["epoch"], **event["metrics"], "lr": event["lr"], "seconds": event["seconds"]})
        elif kind == "phase":
            self.phase = event.get("name", "")
            self.phase_index = int(event.get("index", 0) or 0)
        elif kind == "failed":
            self.error = event.get("error")
        elif kind == "summary":
            self.status = event["status"]
            self.error = event.get("error", self.error)

    async def run(self, on_event: Callable[["TrainingSession", dict[str, Any]], None], env: dict[str, str] | None = None) -> int:
        """Start the child and feed ``on_event`` until it exits; returns its exit code."""
        self.process = await asyncio.create_subprocess_exec(
            *self.command, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env={**os.environ, "NO_COLOR": "1", **(env or {})})
        if self.stop_requested:  # stopped (the app closing) while the child was being started:
            # it has not begun training, and SIGINT may be ignored until its handler is in place
            # (a background job inherits SIGINT ignored), so SIGTERM.
            self.process.terminate()

        async def read_stderr() -> None:
            assert self.process and self.process.stderr
            async for raw in self.process.stderr:
                line = raw.decode(errors="replace").rstrip()
                self.stderr_tail.append(line)
                on_event(self, {"event": "log", "line": line})  # for the log pane, not folded

        stderr_task = asyncio.create_task(read_stderr())
        assert self.process.stdout
        async for raw in self.process.stdout:
            event = parse_event_line(raw.decode(errors="replace"))
            if event is not None:
                self.apply(event)
                on_event(self, event)
        code = await self.process.wait()
        await stderr_task
        if self.active:  # the child died before its summary (bad input, crash)
            self.status = "failed"
            self.error = next((line for line in reversed(self.stderr_tail) if line.strip()), f"exit code {code}")
            on_event(self, {"event": "summary", "status": "failed", "error": self.error, "run_id": self.run_id})
        return code

    def stop(self) -> None:
        """Ask for a clean stop (after the current batch); the run stays resumable. A session
        whose child is still being started stops as soon as it exists."""
        self.stop_requested = True
        if self.process and self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)

    async def wait_stopped(self, timeout: float = 60.0) -> None:
        """Stop and wait; escalate to SIGKILL if the child ignores us (its last epoch is safe on disk)."""
        if not self.process or self.process.returncode is not None:
            return
        self.stop()
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except asyncio.TimeoutError:
            self.process.kill()
            await self.process.wait()
