"""Bounds on everything dlterm reads from disk, and the checked readers that apply them.

A path a user gives can be anything: a FIFO (reading it waits forever), ``/dev/zero``
(reading it never ends), a symlink loop, a 20000x20000 image that decodes to gigabytes,
or a ``.keras`` zip of a few megabytes that expands to tens of gigabytes. So files are
opened only if they are regular files (checked on the opened descriptor, opened
non-blocking so a FIFO cannot stall us), read up to a cap, and archives and images are
checked from their headers before anything is decoded. Every refusal is one
:class:`DltermError` naming the file, the limit and what to do.

The file and image checks themselves live in :mod:`dlterm_edge.limits` (devices need
them too); this module adds dlterm's caps, hints and the Keras-archive checks.
No TensorFlow here: Pillow is imported only by the image check.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from dlterm.errors import DltermError

# The device runtime's bounds: one implementation for dlterm and devices (re-exported here).
from dlterm_edge.limits import MAX_IMAGE_BYTES as MAX_IMAGE_BYTES
from dlterm_edge.limits import MAX_IMAGE_PIXELS as MAX_IMAGE_PIXELS
from dlterm_edge.limits import GiB, InputRefused, MiB, open_regular, size_text, too_large
from dlterm_edge.limits import ImageRefused as ImageRefused
from dlterm_edge.limits import check_image as check_image
from dlterm_edge.limits import read_bytes as edge_read_bytes

MAX_CONFIG_BYTES = 1 * MiB  # a TOML config is a few hundred bytes
MAX_PLUGIN_BYTES = 4 * MiB  # a plugin is a Python file of a few kilobytes
MAX_TEXT_BYTES = 10 * MiB  # a text given to predict (@file); the device runtime uses the same
MAX_DATA_BYTES = 1 * GiB  # a data file read whole (CSV, text, pairs, corpus)
MAX_ARCHIVE_BYTES = 2 * GiB  # a .keras file's members, uncompressed, together (MobileNetV2: 10 MB)
MAX_ARCHIVE_MEMBERS = 10_000
MAX_WEIGHTS_BYTES = 4 * GiB  # an .h5 weights file (not a zip: only its size can be checked)
MAX_KERAS_CONFIG_BYTES = 16 * MiB  # a .keras file's config.json (MobileNetV2 transfer: 120 KB)
# The most parameters a .keras file may declare: what the largest archive accepted can
# hold as float32 (512 M). A file also declares no more than its weights file holds at
# one byte a parameter (int8, the smallest weight): a few-KB file asking for gigabytes
# is refused. dlterm's largest builtin (VGG16 transfer) has 15 M.
MAX_DECLARED_PARAMETERS = MAX_ARCHIVE_BYTES // 4

def _size(n: int) -> str:
    return size_text(n)


def _fd_regular(path: Path, what: str, hint: str) -> tuple[int, int]:
    """Open ``path`` read-only without blocking; (fd, size) if it is a regular file."""
    try:
        return open_regular(path, what)
    except InputRefused as e:
        raise DltermError(str(e), hint) from None


def regular_file(path: str | os.PathLike, what: str, hint: str, limit: int | None = None) -> Path:
    """``path`` as a Path if it is a regular file (of at most ``limit`` bytes), else a one-line error."""
    path = Path(path)
    fd, size = _fd_regular(path, what, hint)
    os.close(fd)
    if limit is not None and size > limit:
        raise _too_large(path, what, size, limit, hint)
    return path


def _too_large(path: Path, what: str, size: int, limit: int, hint: str) -> DltermError:
    return DltermError(too_large(path, what, size, limit), hint)


def read_bytes(path: str | os.PathLike, limit: int, what: str, hint: str) -> bytes:
    """The whole content of a regular file of at most ``limit`` bytes (see
    :func:`dlterm_edge.limits.read_bytes`), or a one-line error with ``hint``."""
    try:
        return edge_read_bytes(path, limit, what)
    except InputRefused as e:
        raise DltermError(str(e), hint) from None


# -- Keras model files -----------------------------------------------------------------

def check_keras_archive(path: str | os.PathLike, what: str = "model file") -> Path:
    """Refuse a ``.keras`` file that is not a regular file, not a Keras zip, or would
    expand past :data:`MAX_ARCHIVE_BYTES` / :data:`MAX_ARCHIVE_MEMBERS` when loaded.

    Python's zipfile never reads past a member's declared size, so the sizes in the
    central directory bound what loading it can cost.
    """
    path = Path(path)
    hint = "give a .keras file saved by dlterm (or Keras)"
    fd, _ = _fd_regular(path, what, hint)
    with os.fdopen(fd, "rb") as f:
        os.set_blocking(fd, True)
        try:
            with zipfile.ZipFile(f) as archive:
                members = archive.infolist()
                _check_members(path, what, hint, members)
                config = archive.read("config.json")  # bounded: its declared size was checked
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            raise DltermError(f"{what} {path} is not a Keras model file (not a readable .keras zip)", hint) from None
    weights = sum(m.file_size for m in members if m.filename.startswith("model.weights."))
    _check_declared_size(path, what, hint, config, weights)
    return path


def _check_members(path: Path, what: str, hint: str, members: list[zipfile.ZipInfo]) -> None:
    """What the archive's directory says: member count, expanded size, a bounded config.json."""
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise DltermError(f"{what} {path} has {len(members):,} members, over the limit of {MAX_ARCHIVE_MEMBERS:,}", hint)
    total = sum(m.file_size for m in members)
    if total > MAX_ARCHIVE_BYTES:
        raise DltermError(f"{what} {path} would expand to {_size(total)}, over the limit of {_size(MAX_ARCHIVE_BYTES)}",
                          "it is damaged or not a model; " + hint)
    config = next((m for m in members if m.filename == "config.json"), None)
    if config is None:
        raise DltermError(f"{what} {path} is not a Keras model file (it has no config.json)", hint)
    if config.file_size > MAX_KERAS_CONFIG_BYTES:
        raise DltermError(f"{what} {path}: its config.json is {_size(config.file_size)}, over the limit of "
                          f"{_size(MAX_KERAS_CONFIG_BYTES)}", "it is damaged or not a model; " + hint)


def _check_declared_size(path: Path, what: str, hint: str, raw: bytes, weights_bytes: int) -> None:
    """Refuse a config.json that declares more parameters than the file can hold, before
    Keras builds (and allocates) the layers it names (see :mod:`dlterm.keras_config`)."""
    import json

    from dlterm.keras_config import ConfigRefused, declared_parameters

    try:
        declared, largest = declared_parameters(json.loads(raw))
    except (ValueError, RecursionError) as e:  # not JSON, not UTF-8, nested past the parser, ConfigRefused
        detail = str(e) if isinstance(e, ConfigRefused) else "not a readable JSON model config"
        raise DltermError(f"{what} {path} is not a Keras model file (config.json: {detail})", hint) from None
    if declared <= min(MAX_DECLARED_PARAMETERS, weights_bytes):
        return
    if declared > MAX_DECLARED_PARAMETERS:
        why = f"over the limit of {MAX_DECLARED_PARAMETERS:,} ({_size(4 * MAX_DECLARED_PARAMETERS)} of float32)"
    elif weights_bytes:
        why = f"more than its {_size(weights_bytes)} of weights can hold"
    else:
        why = "but it holds no weights file"
    raise DltermError(f"{what} {path} declares {declared:,} parameters (largest layer {largest}), {why}",
                      "it is damaged or not a model; " + hint)


# -- memory ----------------------------------------------------------------------------

def available_memory() -> int | None:
    """Bytes this process can still allocate: MemAvailable, lowered by a cgroup limit."""
    available = None
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if available is None:
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, AttributeError):
            return None
    try:  # a container's own limit (cgroup v2)
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
        if limit != "max":
            available = min(available, max(0, int(limit) - used))
    except (OSError, ValueError):
        pass
    return available


def check_memory(needed: int, what: str, hint: str) -> None:
    """Refuse to start when ``needed`` bytes (an estimate) exceed the available memory."""
    available = available_memory()
    if available is not None and needed > available:
        raise DltermError(f"{what} needs about {_size(needed)} of memory, but only {_size(available)} is available", hint)
