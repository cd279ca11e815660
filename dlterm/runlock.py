"""One writer per run: an advisory lock on a file inside the run folder.

Training, resume, export, evaluate and delete hold the run's lock while they write, so a
second one is refused with one line instead of two processes writing the same files
(two resumes interleaving epochs; an export sweeping another export's temporaries).
``fcntl.flock`` is released by the kernel when the holder dies, ``kill -9`` included, so
a lock can never be left stuck. The lock file holds the holder's pid and activity, only
to name them in the refusal.
"""

from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

from dlterm.errors import DltermError

LOCK_FILE = ".lock"
READ_ONLY_ERRNOS = (errno.EACCES, errno.EPERM, errno.EROFS)


class RunLock:
    """An acquired lock; release it with :meth:`release` or use it as a context manager."""

    def __init__(self, fd: int):
        self._fd: int | None = fd

    def note(self, doing: str) -> None:
        """Say who holds the lock and why (e.g. "training"), for the refusals of others."""
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, f"{os.getpid()} {doing}\n".encode(), 0)
        except OSError:
            pass  # the note is only for messages; the lock itself is what counts

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    def __enter__(self) -> "RunLock":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def acquire(folder: Path, run_id: str) -> RunLock:
    """Lock ``folder`` or raise a DltermError naming the holder (see :meth:`RunLock.note`)."""
    path = folder / LOCK_FILE
    try:
        # O_NOFOLLOW: a lock file planted as a link must not make us write elsewhere.
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as e:
        if e.errno in READ_ONLY_ERRNOS:
            raise DltermError(f"the run folder {folder} is read-only ({e.strerror})",
                              "make it writable, or copy the run into a writable --models-dir") from None
        if e.errno == errno.ELOOP:
            raise DltermError(f"run {run_id} is damaged: {LOCK_FILE} is a symbolic link",
                              f"delete the link {path} (dlterm never writes through links)") from None
        if e.errno == errno.ENOSPC:
            raise DltermError(f"no space left on the device of {folder}", "free some disk space and try again") from None
        raise
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise DltermError(f"run {run_id} is busy: {holder}",
                          "wait for it to finish, or stop that process first") from None
    except OSError:
        os.close(fd)
        raise
    return RunLock(fd)


def is_locked(folder: Path) -> bool:
    """Whether a live process holds the run's lock (never creates the lock file)."""
    try:
        fd = os.open(folder / LOCK_FILE, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)
    return False


def _holder(fd: int) -> str:
    try:
        note = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
    except OSError:
        note = []
    if len(note) >= 2 and note[0].isdigit():
        return f"{' '.join(note[1:])[:40]} (pid {note[0]})"
    return "another dlterm process is using it"
