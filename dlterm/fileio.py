"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Each writer writes a temporary file in the same directory, flushes it to disk and
renames it over the target (``os.replace`` is atomic on POSIX and Windows).

``mkstemp`` creates its file with mode 0600 whatever the umask; the writers give the
temporary file the mode a plain ``open`` would (0666 minus the umask) before renaming, so
other users, a web server or a device sync can read runs and exports as the user intends.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any, Iterator

# Temporary files start with this; a process killed mid-write (kill -9) leaves one behind,
# and remove_stale_temporaries sweeps them before the folder is written again.
TEMP_PREFIX = ".tmp-"


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it to ``target``.

    ``suffix`` keeps an extension some writers insist on (Keras wants ``.keras``).
    On failure the temporary file is removed and ``target`` is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{target.name}.", suffix=suffix or ".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        _fsync(tmp_path)
        os.chmod(tmp_path, 0o666 & ~current_umask())  # the writer may have replaced the file
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def current_umask() -> int:
    """The process umask. Linux reports it in /proc without changing it; elsewhere it is
    read by setting and restoring it (a moment in which another thread could create a file)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Delete temporary files left by a killed writer in ``folder``; return what was removed.

    A ``folder`` that is a symbolic link is left alone: the sweep never deletes through a
    link (only the caller's lock makes the sweep safe against a live writer).
    """
    folder = Path(folder)
    if folder.is_symlink() or not folder.is_dir():
        return []
    removed = []
    for path in folder.glob(f"{TEMP_PREFIX}*"):
        with contextlib.suppress(OSError):
            path.unlink()  # unlinking a link removes the link, never its target
            removed.append(path)
    return removed


def write_text(target: str | os.PathLike, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(target: str | os.PathLike, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_json(target: str | os.PathLike, obj: Any) -> None:
    write_text(target, json.dumps(obj, indent=2, sort_keys=False, default=_jsonable) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


class UntrustedFileError(ValueError):
    """A file that is not what it claims: a link, a FIFO or device, too big, not UTF-8 JSON."""


def read_untrusted(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of a regular file, read without following a symbolic link and capped.

    For files dlterm did not necessarily write (a run folder copied from someone else): a
    link, a FIFO (which would block forever) or a device (``/dev/zero`` never ends) is
    refused, and so is anything larger than ``max_bytes``.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        if e.errno == 40:  # ELOOP: the last component is a symbolic link
            raise UntrustedFileError(f"{Path(path).name} is a symbolic link") from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UntrustedFileError(f"{Path(path).name} is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise UntrustedFileError(f"{Path(path).name} is larger than {max_bytes:,} bytes")
    return data


def read_untrusted_json(path: str | os.PathLike, max_bytes: int) -> Any:
    """JSON from :func:`read_untrusted`; any decoding problem is an UntrustedFileError."""
    data = read_untrusted(path, max_bytes)
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise UntrustedFileError(f"{Path(path).name} is not valid JSON ({str(e).splitlines()[0][:80]})") from None


def _jsonable(value: Any) -> Any:
    """Make numpy scalars and paths JSON-serialisable."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _fsync(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())
