"""The training event stream: one schema for the CLI's progress display, ``--json`` and the TUI.

An event is a flat JSON object with ``event`` (its type), ``schema`` (SCHEMA_VERSION, the
version of every dlterm JSON output), ``time`` (unix seconds) and ``run_id``. Types, in the order a run emits them:

==============  ===============================================================
``run_created``  run_id, run_dir, plugin, dataset, resumed
``data_loaded``  sizes {train, val, test}, notes [str]
``run_start``    config, params, summary, epochs, initial_epoch, steps_per_epoch, monitor
``phase``        name, index, of, first_epoch, last_epoch, learning_rate  (multi-phase plugins)
``batch``        epoch, step, steps, metrics {loss, ...}  (throttled, a few per second)
``epoch_end``    epoch (1-based), epochs, metrics {loss, val_loss, ...}, lr, seconds, phase (if phased)
``checkpoint``   kind (best), path, epoch, monitor, value
``early_stop``   epoch, monitor, best, phase, reason (when not patience: the time budget)
``evaluated``    checkpoint, samples, metrics {...} on the test split (or error)
``interrupted``  epoch, reason (signal, or stop requested)
``failed``       error, hint
``summary``      run_id, run_dir, status, epochs_completed, best {monitor, value, epoch},
                 metrics (last epoch); always the last line of ``--json``
==============  ===============================================================

Consumers must ignore types and fields they do not know; producers only add.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable, TextIO

SCHEMA_VERSION = 1  # of every JSON output (events and the commands' --json): raised on a breaking change

Event = dict[str, Any]
Sink = Callable[[Event], None]


def make_event(event_type: str, run_id: str | None, /, **fields: Any) -> Event:
    return {"event": event_type, "schema": SCHEMA_VERSION, "time": round(time.time(), 3), "run_id": run_id, **fields}


class Emitter:
    """Fans one event out to every sink; a failing sink never stops training."""

    def __init__(self, sinks: Iterable[Sink] = ()):
        self.sinks = list(sinks)
        self.run_id: str | None = None

    def add(self, sink: Sink) -> None:
        self.sinks.append(sink)

    def emit(self, event_type: str, /, **fields: Any) -> Event:
        event = make_event(event_type, self.run_id, **fields)
        for sink in list(self.sinks):
            try:
                sink(event)
            except BrokenPipeError:  # a closed pipe: the reader went away; keep training
                self.sinks.remove(sink)
            except Exception as e:  # noqa: BLE001 - a display bug must not fail the run
                self.sinks.remove(sink)
                _warn(f"warning: an event display failed on {event_type!r} ({type(e).__name__}: {e}); "
                      "training goes on without it")
        return event


def _warn(message: str) -> None:
    try:
        print(message, file=sys.stderr, flush=True)
    except (OSError, ValueError):  # stderr closed too: nothing left to tell
        pass


def json_lines_sink(stream: TextIO | None = None) -> Sink:
    """Write each event as one JSON line, flushed at once (a reader may be a live UI)."""

    def sink(event: Event) -> None:
        out = stream or sys.stdout
        out.write(json.dumps(event, default=float) + "\n")
        out.flush()

    return sink


class FileSink:
    """Append events to the run's ``events.jsonl`` (one complete line per write)."""

    def __init__(self, path: Path):
        self.path = path
        self._file = open(path, "a", encoding="utf-8", buffering=1)

    def __call__(self, event: Event) -> None:
        self._file.write(json.dumps(event, default=float) + "\n")

    def close(self) -> None:
        self._file.close()


def parse_event_line(line: str) -> Event | None:
    """A line from ``dlterm train --json``: the event, or None for anything else."""
    line = line.strip()
    if not line.startswith("{"):
        return None
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) and "event" in event else None
