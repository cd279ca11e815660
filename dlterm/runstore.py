"""The run store: the one owner of the run folder.

``models/<run-id>/`` holds ``run.json`` (identity, resolved config, status, progress,
best metrics), ``history.csv``, ``events.jsonl``, ``summary.txt``, ``preprocessing.json``,
``best.keras`` (best monitored epoch), ``last.keras`` (latest epoch, with optimizer state:
what ``--resume`` loads), ``final.keras``, ``tensorboard/``, ``.lock`` and later
``evaluation.json``, ``exports.json`` and ``exports/``. This module is the only one that
knows these names and how they change together.

A run folder is untrusted input (it may be copied from someone else, or damaged):

* a run's id is its folder name, never a value read from a file, so an id can not
  become a path elsewhere;
* ``run.json`` is read capped, without following links, and checked field by field; a
  run that fails is listed as ``damaged`` with the reason and never breaks the others;
* nothing writes or deletes through a symbolic link inside the models folder;
* one writer per run (:mod:`dlterm.runlock`), and writers first finish or undo what a
  killed writer left (a checkpoint written but not yet recorded in ``run.json``).

Status: ``running`` -> ``completed`` | ``failed`` | ``interrupted``. A run whose file says
running but whose process is gone (killed) reads as ``interrupted``.

An epoch is committed in three steps so that a kill between any two leaves a consistent
run: its checkpoints are written as ``<kind>.epoch-N.keras``, then ``run.json`` records
epoch N, then the checkpoints are renamed to ``<kind>.keras``. A checkpoint of an
epoch ``run.json`` does not record is deleted; one it records is renamed.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import math
import os
import re
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

from dlterm import __version__
from dlterm.errors import DltermError
from dlterm.fileio import (
    TEMP_PREFIX,
    UntrustedFileError,
    read_untrusted,
    read_untrusted_json,
    remove_stale_temporaries,
    write_json,
    write_text,
)
from dlterm.runlock import LOCK_FILE, READ_ONLY_ERRNOS, RunLock, acquire, is_locked

RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
STATUSES = ("running", "completed", "failed", "interrupted")
CHECKPOINTS = ("best", "last", "final")

# The layout: every file name of a run folder.
RUN_JSON = "run.json"
HISTORY_CSV = "history.csv"
EVENTS_JSONL = "events.jsonl"
SUMMARY_TXT = "summary.txt"
PREPROCESSING_JSON = "preprocessing.json"
EVALUATION_JSON = "evaluation.json"
EXPORTS_JSON = "exports.json"
BENCH_JSON = "bench.json"  # the last `dlterm bench` (latencies for compare and report)
EXPORTS_DIR = "exports"
TENSORBOARD_DIR = "tensorboard"
WRITTEN_DIRS = (EXPORTS_DIR, TENSORBOARD_DIR)
PENDING_RE = re.compile(r"^(best|last)\.epoch-(\d{1,9})\.keras$")
DELETING_PREFIX = ".deleting-"

# Caps on what is read from a run folder: far above what dlterm writes, far below harm.
MAX_RUN_JSON_BYTES = 4_000_000
MAX_RECORD_BYTES = 16_000_000  # preprocessing.json (vocabularies), evaluation.json, exports.json
MAX_HISTORY_BYTES = 32_000_000
MAX_EPOCHS = 100_000  # the epochs option's own maximum


def models_dir(override: str | os.PathLike | None = None) -> Path:
    """``--models-dir``, else ``$DLTERM_HOME``, else ``./models``."""
    return Path(override or os.environ.get("DLTERM_HOME") or "models").expanduser()


class Run:
    """A run folder and its ``run.json`` (``damaged`` says why a run can not be used)."""

    def __init__(self, path: Path, meta: dict[str, Any], damaged: str | None = None):
        self.path = path
        self.meta = meta
        self.damaged = damaged
        self._lock: RunLock | None = None

    @property
    def id(self) -> str:
        return self.path.name  # never meta["id"]: a file's id must not become a path

    def file(self, name: str) -> Path:
        return self.path / name

    def checkpoint(self, kind: str) -> Path:
        return self.path / f"{kind}.keras"

    def pending_checkpoint(self, kind: str, epoch: int) -> Path:
        return self.path / f"{kind}.epoch-{epoch}.keras"

    @property
    def status(self) -> str:
        """The status, with a dead process's 'running' read as 'interrupted'."""
        if self.damaged:
            return "damaged"
        status = self.meta.get("status", "failed")
        if status == "running" and not self._running():
            return "interrupted"
        return status

    def _running(self) -> bool:
        host = self.meta.get("host")
        if host and host != socket.gethostname():
            return True  # another machine's run: trust its file
        if (self.path / LOCK_FILE).is_file():
            return is_locked(self.path)  # a recycled pid can not fake a held lock
        return _alive(self.meta.get("pid"), host)  # a run from before locks

    @property
    def seed(self) -> int:
        """The seed that split the run's data: evaluating or exporting on other splits would
        measure on training samples, so a run without one can not be evaluated."""
        seed = self.meta["config"]["training"].get("seed")
        if not _is_int(seed):
            raise DltermError(f"run {self.id} is damaged: run.json has no data seed",
                              "it cannot be evaluated or exported; train a new run")
        return seed

    @property
    def held(self) -> bool:
        """Whether this object holds the run's lock."""
        return self._lock is not None

    @property
    def busy(self) -> bool:
        """Whether a live process holds this run's lock (training, exporting...)."""
        return is_locked(self.path)

    # -- writing -------------------------------------------------------------------

    def save(self) -> None:
        self.meta["updated"] = time.time()
        write_json(self.file(RUN_JSON), self.meta)

    def update(self, **fields: Any) -> None:
        self.meta.update(fields)
        self.save()

    def write_history(self, rows: list[dict[str, float]]) -> None:
        keys: list[str] = []
        for row in rows:
            keys += [k for k in row if k not in keys]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
        write_text(self.file(HISTORY_CSV), buf.getvalue())

    def commit_epoch(self, epoch: int, **fields: Any) -> None:
        """Record ``epoch`` in run.json, then promote its pending checkpoints (see the module doc)."""
        self.update(epochs_completed=epoch, **fields)
        for kind in ("best", "last"):
            pending = self.pending_checkpoint(kind, epoch)
            if pending.is_file() and not pending.is_symlink():
                os.replace(pending, self.checkpoint(kind))

    def recover(self) -> list[str]:
        """Finish or undo what a killed writer left; returns the names it changed.

        Pending checkpoints of the recorded epoch are promoted, others deleted; leftover
        temporaries are swept. Only call it while holding the run's lock.
        """
        done = self.meta.get("epochs_completed", 0)
        changed = []
        for path in sorted(self.path.iterdir()):
            match = PENDING_RE.match(path.name)
            if not match or path.is_symlink():
                continue
            if int(match.group(2)) == done:
                os.replace(path, self.checkpoint(match.group(1)))
            else:
                path.unlink()
            changed.append(path.name)
        changed += [p.name for p in remove_stale_temporaries(self.path)]
        changed += [p.name for p in remove_stale_temporaries(self.path / EXPORTS_DIR)]
        return changed

    def folder(self, name: str) -> Path:
        """A sub-folder to write into, created if needed; never a symbolic link."""
        path = self.path / name
        if path.is_symlink():
            raise DltermError(f"run {self.id} is damaged: {name}/ is a symbolic link",
                              f"remove the link {path}; dlterm never writes or deletes through links")
        path.mkdir(exist_ok=True)
        return path

    def hold(self, doing: str) -> None:
        """Become this run's only writer (see :mod:`dlterm.runlock`) and repair what a
        killed writer left. Raises a DltermError if the run is busy, damaged or read-only."""
        if self.damaged:
            raise _damaged_error(self)
        if self.path.is_symlink():
            raise DltermError(f"run {self.id} is a symbolic link", "dlterm never writes through links; copy the run instead")
        for name in WRITTEN_DIRS:
            if (self.path / name).is_symlink():
                raise DltermError(f"run {self.id} is damaged: {name}/ is a symbolic link",
                                  f"remove the link {self.path / name}; dlterm never writes or deletes through links")
        if self._lock is None:
            self._lock = acquire(self.path, self.id)
        try:
            _probe_writable(self.path)  # a read-only folder is named before anything is written
            self._lock.note(doing)
            self.recover()
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @contextlib.contextmanager
    def writing(self, doing: str) -> Iterator["Run"]:
        """``with run.writing("exporting"):`` hold the lock for the block."""
        self.hold(doing)
        try:
            yield self
        finally:
            self.release()

    # -- reading -------------------------------------------------------------------

    def history(self, upto: int | None = None) -> list[dict[str, float]]:
        """The per-epoch rows (at most ``upto`` epochs); rows that do not parse are skipped."""
        path = self.file(HISTORY_CSV)
        if not path.exists() and not path.is_symlink():
            return []
        try:
            text = read_untrusted(path, MAX_HISTORY_BYTES).decode("utf-8", "replace")
        except (OSError, UntrustedFileError):
            return []
        rows = []
        with contextlib.suppress(csv.Error):
            for row in csv.DictReader(io.StringIO(text, newline="")):
                parsed = {}
                for k, v in row.items():
                    if isinstance(k, str) and isinstance(v, str) and v != "":
                        with contextlib.suppress(ValueError):
                            parsed[k] = float(v)
                epoch = parsed.get("epoch")
                if epoch is None or not math.isfinite(epoch):
                    continue
                if upto is not None and epoch > upto:
                    break
                rows.append(parsed)
        return rows

    def summary_text(self) -> str:
        """The Keras model summary, or "" if it is missing or damaged."""
        with contextlib.suppress(OSError, UntrustedFileError):
            return read_untrusted(self.file(SUMMARY_TXT), MAX_RECORD_BYTES).decode("utf-8", "replace")
        return ""

    def record(self, name: str, kind: type = dict) -> Any:
        """A JSON record of the run (evaluation.json, exports.json...), or None when it is
        missing or not a ``kind``: a damaged record never breaks the command reading it."""
        path = self.file(name)
        if not path.exists() and not path.is_symlink():
            return None
        try:
            value = read_untrusted_json(path, MAX_RECORD_BYTES)
        except (OSError, UntrustedFileError):
            return None
        return value if isinstance(value, kind) else None

    def to_dict(self) -> dict[str, Any]:
        # run_id as in every other JSON output (README: JSON output); id kept for old scripts
        out = {**self.meta, "run_id": self.id, "id": self.id, "status": self.status, "run_dir": str(self.path)}
        if self.damaged:
            out["damaged"] = self.damaged
        return out


class RunStore:
    def __init__(self, root: str | os.PathLike | None = None):
        self.root = models_dir(root)

    def create(self, plugin: str, meta: dict[str, Any]) -> Run:
        """A new run folder with its run.json, held (locked) by this process; on any error
        nothing is left behind."""
        hint = "choose a writable folder with --models-dir or DLTERM_HOME, or free disk space"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise DltermError(f"cannot create the models folder {self.root}: {e.strerror}", hint) from None
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
                raise DltermError(f"cannot write in the models folder {self.root}: {e.strerror}", hint) from None
        else:  # pragma: no cover - a thousand runs in one second
            raise DltermError("could not pick a new run id", "try again", exit_code=1)
        run = Run(path, {"id": run_id, "plugin": plugin, "created": time.time(), "status": "running",
                         "pid": os.getpid(), "host": socket.gethostname(), "dlterm_version": __version__,
                         "epochs_completed": 0, **meta})
        try:
            run.hold("training")
            run.save()
        except (OSError, DltermError) as e:
            run.release()
            shutil.rmtree(path, ignore_errors=True)
            reason = e.strerror if isinstance(e, OSError) else e.message
            raise DltermError(f"cannot start a run in {self.root}: {reason}", hint) from None
        return run

    def runs(self) -> list[Run]:
        """Every run, newest first; a damaged one is listed with the reason, never raised."""
        if not self.root.is_dir():
            return []
        out = []
        for path in self.root.iterdir():
            if not RUN_ID_RE.match(path.name):
                continue  # hidden entries (.deleting-...) and names that are not run ids
            if not path.is_symlink() and not (path / RUN_JSON).exists() and not (path / RUN_JSON).is_symlink():
                continue  # not a run folder
            out.append(load_run(path))
        return sorted(out, key=_created, reverse=True)

    def get(self, ref: str, allow_damaged: bool = False) -> Run:
        """A run by id, unique id prefix, or ``latest`` (the newest usable run)."""
        if ref == "latest":
            runs = [r for r in self.runs() if not r.damaged]
            if not runs:
                raise DltermError("there are no runs yet", f"train one with `dlterm train PLUGIN` (models folder: {self.root})")
            return runs[0]
        check_run_id(ref)
        path = self.root / ref
        if path.is_symlink() or (path / RUN_JSON).exists() or (path / RUN_JSON).is_symlink():
            run = load_run(path)
        else:
            matches = [r for r in self.runs() if r.id.startswith(ref)]
            if len(matches) > 1:
                raise DltermError(f"run id {ref!r} is ambiguous ({len(matches)} runs start with it)", "type more of the id")
            if not matches:
                raise DltermError(f"unknown run '{ref}'", f"see `dlterm runs` (models folder: {self.root})")
            run = matches[0]
        if run.damaged and not allow_damaged:
            raise _damaged_error(run)
        return run

    def delete(self, run_id: str) -> Path:
        """Delete a run folder: exact ids only, never a busy run, never through a link.

        The folder is first renamed to a hidden name (gone from every listing at once),
        then removed; ``shutil.rmtree`` removes links inside it, never their targets.
        """
        check_run_id(run_id)
        path = self.root / run_id
        if not path.is_symlink() and not path.is_dir():
            raise DltermError(f"unknown run '{run_id}'", f"delete takes a full run id; see `dlterm runs` (models folder: {self.root})")
        if path.is_symlink():  # remove the link itself, never what it points to
            path.unlink()
            return path
        run = load_run(path)
        if not run.damaged and run.status == "running":
            raise DltermError(f"run {run_id} is still running (pid {run.meta.get('pid')})", "stop it first, or wait")
        lock = acquire(path, run_id)
        try:
            doomed = self.root / f"{DELETING_PREFIX}{run_id}-{os.getpid()}"
            try:
                os.rename(path, doomed)
            except OSError as e:
                raise DltermError(f"cannot delete run {run_id}: {e.strerror}",
                                  "check the models folder's permissions") from None
        finally:
            lock.release()
        shutil.rmtree(doomed, ignore_errors=True)
        for leftover in self.root.glob(f"{DELETING_PREFIX}*"):  # from a delete that was killed
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
        return path


def check_run_id(ref: str) -> None:
    if not isinstance(ref, str) or not RUN_ID_RE.match(ref) or ".." in ref:
        raise DltermError(f"{ref!r} is not a valid run id", "run ids look like cnn-20260101-120000; see `dlterm runs`")


def load_run(path: Path) -> Run:
    """Read and check one run folder; problems make a damaged Run, never an exception."""
    if path.is_symlink():
        return Run(path, {"id": path.name}, damaged="the run folder is a symbolic link")
    try:
        meta = read_untrusted_json(path / RUN_JSON, MAX_RUN_JSON_BYTES)
    except UntrustedFileError as e:
        return Run(path, {"id": path.name}, damaged=str(e))
    except OSError as e:
        return Run(path, {"id": path.name}, damaged=f"run.json cannot be read ({e.strerror})")
    problem = meta_problem(meta, path.name)
    if problem:  # keep nothing of a damaged file but the reason: its values are not to be shown or used
        return Run(path, {"id": path.name}, damaged=f"run.json: {problem}")
    return Run(path, meta)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def meta_problem(meta: Any, folder_name: str) -> str | None:
    """What is wrong with a run.json, or None: every field a command reads, by type."""
    if not isinstance(meta, dict):
        return "not a JSON object"
    if meta.get("id") != folder_name:
        return f"its id {str(meta.get('id'))[:60]!r} is not the folder's name"
    for key in ("plugin", "task", "dataset"):
        if not isinstance(meta.get(key), str) or not meta[key]:
            return f"{key} must be a name"
    if meta.get("status") not in STATUSES:
        return f"status must be one of {', '.join(STATUSES)}"
    if not _is_number(meta.get("created")):
        return "created must be a time"
    done = meta.get("epochs_completed")
    if not _is_int(done) or not 0 <= done <= MAX_EPOCHS:
        return f"epochs_completed must be a whole number from 0 to {MAX_EPOCHS}"
    cfg = meta.get("config")
    if not isinstance(cfg, dict) or not all(isinstance(cfg.get(k), dict) for k in ("hyperparameters", "training", "data")):
        return "config must have hyperparameters, training and data tables"
    training = cfg["training"]
    if not _is_int(training.get("epochs")) or not 1 <= training["epochs"] <= MAX_EPOCHS:
        return f"config.training.epochs must be a whole number from 1 to {MAX_EPOCHS}"
    if "seed" in training and not _is_int(training["seed"]):
        return "config.training.seed must be a whole number"
    best = meta.get("best")
    if best not in (None, {}):
        if not (isinstance(best, dict) and isinstance(best.get("monitor"), str) and _is_number(best.get("value"))
                and _is_int(best.get("epoch"))):
            return "best must have a monitor, a value and an epoch"
    metrics = meta.get("metrics")
    if metrics is not None and not (isinstance(metrics, dict) and all(_is_number(v) for v in metrics.values())):
        return "metrics must map names to numbers"
    if meta.get("pid") is not None and not _is_int(meta["pid"]):
        return "pid must be a whole number"
    for key in ("host", "error", "monitor"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            return f"{key} must be text"
    names = meta.get("class_names")
    if names is not None and not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
        return "class_names must be a list of names"
    if meta.get("params") is not None and not _is_int(meta["params"]):
        return "params must be a whole number"
    return None


def _damaged_error(run: Run) -> DltermError:
    return DltermError(f"run {run.id} is damaged: {run.damaged}",
                       f"it cannot be used; `dlterm delete {run.id}` removes it")


def _created(run: Run) -> float:
    created = run.meta.get("created")
    if _is_number(created) and not run.damaged:
        return float(created)
    with contextlib.suppress(OSError):
        return run.path.lstat().st_mtime
    return 0.0


def _probe_writable(folder: Path) -> None:
    """Fail now, with a named problem, if nothing can be written in ``folder``."""
    try:
        fd, probe = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}probe.", dir=folder)
    except OSError as e:
        if e.errno in READ_ONLY_ERRNOS:
            raise DltermError(f"the run folder {folder} is read-only ({e.strerror})",
                              "make it writable, or copy the run into a writable --models-dir") from None
        if e.errno == errno.ENOSPC:
            raise DltermError(f"no space left on the device of {folder}", "free some disk space and try again") from None
        raise
    os.close(fd)
    with contextlib.suppress(OSError):  # a concurrent writer's sweep may have removed it
        os.unlink(probe)


def _alive(pid: Any, host: Any) -> bool:
    if not _is_int(pid) or pid <= 0:
        return False
    if host and host != socket.gethostname():
        return True  # another machine's run: trust its file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, OSError):
        return False
    # A zombie (killed child not yet reaped) is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return True
