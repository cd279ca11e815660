"""Bounds on everything dlterm reads from disk, and the checked readers that apply them.

A path a user gives can be anything: a FIFO (reading it waits forever), ``/dev/zero``
(reading it never ends), a symlink loop, a 20000x20000 image that decodes to gigabytes,
or a ``.keras`` zip of a few megabytes that expands to tens of gigabytes. So files are
opened only if they are regular files (checked on the opened descriptor, opened
non-blocking so a FIFO cannot stall us), read up to a cap, and archives and images are
checked from their headers before anything is decoded. Every refusal is one
:class:`DltermError` naming the file, the limit and what to do.

No TensorFlow here: Pillow is imported only by the image check.
"""

from __future__ import annotations

import errno
import os
import stat
import zipfile
from pathlib import Path

from dlterm.errors import DltermError

MiB = 1024 * 1024
GiB = 1024 * MiB

MAX_CONFIG_BYTES = 1 * MiB  # a TOML config is a few hundred bytes
MAX_PLUGIN_BYTES = 4 * MiB  # a plugin is a Python file of a few kilobytes
MAX_TEXT_BYTES = 10 * MiB  # a text given to predict (@file)
MAX_DATA_BYTES = 1 * GiB  # a data file read whole (CSV, text, pairs, corpus)
MAX_IMAGE_BYTES = 256 * MiB  # one image file
MAX_IMAGE_PIXELS = 50_000_000  # about 7000x7000: decoded RGB is 150 MB before resizing
MAX_ARCHIVE_BYTES = 2 * GiB  # a .keras file's members, uncompressed, together (MobileNetV2: 10 MB)
MAX_ARCHIVE_MEMBERS = 10_000
MAX_WEIGHTS_BYTES = 4 * GiB  # an .h5 weights file (not a zip: only its size can be checked)

# What a non-regular file is, for the message.
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


def _size(n: int) -> str:
    for unit, scale in (("TiB", 1024 * GiB), ("GiB", GiB), ("MiB", MiB), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


def _open_error(path: Path, what: str, error: OSError, hint: str) -> DltermError:
    if error.errno == errno.ENOENT:
        return DltermError(f"{what} not found: {path}", hint)
    if error.errno == errno.ELOOP:
        return DltermError(f"{what} {path} is a symlink loop", hint)
    if error.errno == errno.ENAMETOOLONG:
        return DltermError(f"{what} path is too long: {str(path)[:60]}...", hint)
    return DltermError(f"cannot read {what} {path}: {error.strerror or error}", hint)


def _fd_regular(path: Path, what: str, hint: str) -> tuple[int, int]:
    """Open ``path`` read-only without blocking; (fd, size) if it is a regular file."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except IsADirectoryError:
        raise DltermError(f"{what} {path} is a folder, not a file", hint) from None
    except OSError as e:
        raise _open_error(path, what, e, hint) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "special")
        raise DltermError(f"{what} {path} is {kind}, not a regular file" if kind != "a folder"
                          else f"{what} {path} is a folder, not a file", hint)
    return fd, info.st_size


def regular_file(path: str | os.PathLike, what: str, hint: str, limit: int | None = None) -> Path:
    """``path`` as a Path if it is a regular file (of at most ``limit`` bytes), else a one-line error."""
    path = Path(path)
    fd, size = _fd_regular(path, what, hint)
    os.close(fd)
    if limit is not None and size > limit:
        raise _too_large(path, what, size, limit, hint)
    return path


def _too_large(path: Path, what: str, size: int, limit: int, hint: str) -> DltermError:
    return DltermError(f"{what} {path} is {_size(size)}, over the limit of {_size(limit)}", hint)


def read_bytes(path: str | os.PathLike, limit: int, what: str, hint: str) -> bytes:
    """The whole content of a regular file of at most ``limit`` bytes.

    The size is checked on the open descriptor and the read stops at ``limit + 1``
    bytes, so a file that grows while we read it is refused too.
    """
    path = Path(path)
    fd, size = _fd_regular(path, what, hint)
    try:
        if size > limit:
            raise _too_large(path, what, size, limit, hint)
        os.set_blocking(fd, True)
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(MiB, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as e:
        raise _open_error(path, what, e, hint) from None
    finally:
        os.close(fd)
    if total > limit:
        raise _too_large(path, what, total, limit, hint)
    return b"".join(chunks)


# -- images ----------------------------------------------------------------------------

class ImageRefused(ValueError):
    """An image that is not a regular file, or too large to decode; the message says which."""


def check_image(path: str | os.PathLike) -> tuple[int, int]:
    """(width, height) from the image's header, refusing what must not be decoded.

    Raises FileNotFoundError for a missing file, :class:`ImageRefused` for a non-regular,
    oversized or too-many-pixel one, and OSError/ValueError/SyntaxError from Pillow for
    a file that is not an image. Nothing is decoded: Pillow reads only the header.
    """
    from PIL import Image

    path = Path(path)
    try:
        fd, size = _fd_regular(path, "image", "")
    except DltermError as e:
        if not os.path.lexists(path):
            raise FileNotFoundError(errno.ENOENT, "not found", str(path)) from None
        raise ImageRefused(e.message) from None
    with os.fdopen(fd, "rb") as f:
        if size > MAX_IMAGE_BYTES:
            raise ImageRefused(f"image {path} is {_size(size)}, over the limit of {_size(MAX_IMAGE_BYTES)}")
        os.set_blocking(fd, True)
        # Pillow's own bomb check (a larger cap) would hide the size; ours is stricter.
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            with Image.open(f) as img:
                width, height = img.size
        finally:
            Image.MAX_IMAGE_PIXELS = saved
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageRefused(f"image {path} is {width}x{height} pixels, over the limit of {MAX_IMAGE_PIXELS:,} pixels")
    return width, height


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
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            raise DltermError(f"{what} {path} is not a Keras model file (not a readable .keras zip)", hint) from None
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise DltermError(f"{what} {path} has {len(members):,} members, over the limit of {MAX_ARCHIVE_MEMBERS:,}", hint)
    total = sum(m.file_size for m in members)
    if total > MAX_ARCHIVE_BYTES:
        raise DltermError(f"{what} {path} would expand to {_size(total)}, over the limit of {_size(MAX_ARCHIVE_BYTES)}",
                          "it is damaged or not a model; " + hint)
    if "config.json" not in {m.filename for m in members}:
        raise DltermError(f"{what} {path} is not a Keras model file (it has no config.json)", hint)
    return path


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
