"""The run store: one folder per run under the models folder.

``models/<run-id>/`` holds ``run.json`` (identity, resolved config, status, progress,
best metrics), ``history.csv``, ``events.jsonl``, ``summary.txt``, ``preprocessing.json``,
``best.keras`` (best monitored epoch), ``last.keras`` (latest epoch, with optimizer state:
what ``--resume`` loads), ``final.keras``, ``tensorboard/`` and later ``evaluation.json``
and ``exports/``. JSON files are written atomically.

Status: ``running`` -> ``completed`` | ``failed`` | ``interrupted``. A run whose file says
running but whose process is gone (killed) reads as ``interrupted``.
"""

from __future__ import annotations

import csv
import io
import os
import re
import socket
import time
from pathlib import Path
from typing import Any

from dlterm import __version__
from dlterm.errors import DltermError
from dlterm.fileio import read_json, write_json, write_text

RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
STATUSES = ("running", "completed", "failed", "interrupted")


def models_dir(override: str | os.PathLike | None = None) -> Path:
    """``--models-dir``, else ``$DLTERM_HOME``, else ``./models``."""
    return Path(override or os.environ.get("DLTERM_HOME") or "models").expanduser()


class Run:
    """A run folder and its ``run.json``."""

    def __init__(self, path: Path, meta: dict[str, Any]):
        self.path = path
        self.meta = meta

    @property
    def id(self) -> str:
        return self.meta["id"]

    def file(self, name: str) -> Path:
        return self.path / name

    @property
    def status(self) -> str:
        """The status, with a dead process's 'running' read as 'interrupted'."""
        status = self.meta.get("status", "failed")
        if status == "running" and not _alive(self.meta.get("pid"), self.meta.get("host")):
            return "interrupted"
        return status

    def save(self) -> None:
        self.meta["updated"] = time.time()
        write_json(self.file("run.json"), self.meta)

    def update(self, **fields: Any) -> None:
        self.meta.update(fields)
        self.save()

    def history(self) -> list[dict[str, float]]:
        path = self.file("history.csv")
        if not path.exists():
            return []
        with open(path, newline="", encoding="utf-8") as f:
            return [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(f)]

    def write_history(self, rows: list[dict[str, float]]) -> None:
        keys: list[str] = []
        for row in rows:
            keys += [k for k in row if k not in keys]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
        write_text(self.file("history.csv"), buf.getvalue())

    def to_dict(self) -> dict[str, Any]:
        return {**self.meta, "status": self.status, "run_dir": str(self.path)}


class RunStore:
    def __init__(self, root: str | os.PathLike | None = None):
        self.root = models_dir(root)

    def create(self, plugin: str, meta: dict[str, Any]) -> Run:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise DltermError(f"cannot create the models folder {self.root}: {e.strerror}",
                              "choose a writable folder with --models-dir or DLTERM_HOME", exit_code=1) from None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for n in range(1000):
            run_id = f"{plugin}-{stamp}" + (f"-{n}" if n else "")
            path = self.root / run_id
            try:
                path.mkdir()
                break
            except FileExistsError:
                continue
            except OSError as e:
                raise DltermError(f"cannot write in the models folder {self.root}: {e.strerror}",
                                  "choose a writable folder with --models-dir or DLTERM_HOME", exit_code=1) from None
        else:  # pragma: no cover - a thousand runs in one second
            raise DltermError("could not pick a new run id", "try again", exit_code=1)
        now = time.time()
        run = Run(path, {"id": run_id, "plugin": plugin, "created": now, "status": "running",
                         "pid": os.getpid(), "host": socket.gethostname(), "dlterm_version": __version__,
                         "epochs_completed": 0, **meta})
        run.save()
        return run

    def runs(self) -> list[Run]:
        """Every readable run, newest first; folders without a readable run.json are skipped."""
        if not self.root.is_dir():
            return []
        out = []
        for path in self.root.iterdir():
            meta_path = path / "run.json"
            if not meta_path.is_file():
                continue
            try:
                meta = read_json(meta_path)
            except (OSError, ValueError):
                continue
            if isinstance(meta, dict) and "id" in meta:
                out.append(Run(path, meta))
        return sorted(out, key=lambda r: r.meta.get("created", 0), reverse=True)

    def get(self, ref: str) -> Run:
        """A run by id, unique id prefix, or ``latest``."""
        if ref == "latest":
            runs = self.runs()
            if not runs:
                raise DltermError("there are no runs yet", f"train one with `dlterm train PLUGIN` (models folder: {self.root})")
            return runs[0]
        if not RUN_ID_RE.match(ref) or ".." in ref:
            raise DltermError(f"{ref!r} is not a valid run id", "run ids look like cnn-20260101-120000; see `dlterm runs`")
        path = self.root / ref
        if (path / "run.json").is_file():
            try:
                return Run(path, read_json(path / "run.json"))
            except (OSError, ValueError) as e:
                raise DltermError(f"run {ref} has an unreadable run.json: {e}", "the run folder is damaged", exit_code=1) from None
        matches = [r for r in self.runs() if r.id.startswith(ref)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise DltermError(f"run id {ref!r} is ambiguous ({len(matches)} runs start with it)", "type more of the id")
        raise DltermError(f"unknown run '{ref}'", f"see `dlterm runs` (models folder: {self.root})")


def _alive(pid: Any, host: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    if host and host != socket.gethostname():
        return True  # another machine's run: trust its file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (killed child not yet reaped) is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return True
