"""Bounds on the files a device reads: inputs to ``predict`` and ``bench`` are untrusted.

A path can be anything: a FIFO (reading it waits forever), ``/dev/zero`` (reading never
ends), a symlink loop, or a 20000x20000 image that decodes to gigabytes. So a file is
opened only if it is a regular file (checked on the opened descriptor, opened
non-blocking so a FIFO cannot stall us), read up to a cap, and an image is checked from
its header before anything is decoded. dlterm's own readers (:mod:`dlterm.limits`) build
on these, with hints in dlterm's words.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dlterm_edge.errors import InferenceError

MiB = 1024 * 1024
GiB = 1024 * MiB

MAX_TEXT_BYTES = 10 * MiB  # a text given as @file
MAX_CSV_BYTES = 256 * MiB  # a series given as one CSV file
MAX_IMAGE_BYTES = 256 * MiB  # one image file
MAX_IMAGE_PIXELS = 50_000_000  # about 7000x7000: decoded RGB is 150 MB before resizing

# What a non-regular file is, for the message.
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


class InputRefused(InferenceError):
    """A file that must not be read: missing, not a regular file, or over a cap."""


class ImageRefused(ValueError):
    """An image that is not a regular file, or too large to decode; the message says which."""


def size_text(n: int) -> str:
    """``n`` bytes as people read it: 3.2 MiB."""
    for unit, scale in (("TiB", 1024 * GiB), ("GiB", GiB), ("MiB", MiB), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


def open_error(path: Path, what: str, error: OSError) -> str:
    """The one-line message for an OSError raised while opening ``path``."""
    if error.errno == errno.ENOENT:
        return f"{what} not found: {path}"
    if error.errno == errno.ELOOP:
        return f"{what} {path} is a symlink loop"
    if error.errno == errno.ENAMETOOLONG:
        return f"{what} path is too long: {str(path)[:60]}..."
    return f"cannot read {what} {path}: {error.strerror or error}"


def open_regular(path: str | os.PathLike, what: str) -> tuple[int, int]:
    """Open ``path`` read-only without blocking: (fd, size) if it is a regular file."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except IsADirectoryError:
        raise InputRefused(f"{what} {path} is a folder, not a file") from None
    except OSError as e:
        raise InputRefused(open_error(path, what, e)) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "special")
        raise InputRefused(f"{what} {path} is {kind}, not a regular file" if kind != "a folder"
                           else f"{what} {path} is a folder, not a file")
    return fd, info.st_size


def too_large(path: str | os.PathLike, what: str, size: int, limit: int) -> str:
    return f"{what} {path} is {size_text(size)}, over the limit of {size_text(limit)}"


def read_bytes(path: str | os.PathLike, limit: int, what: str) -> bytes:
    """The whole content of a regular file of at most ``limit`` bytes.

    The size is checked on the open descriptor and the read stops at ``limit + 1`` bytes,
    so a file that grows while we read it is refused too.
    """
    fd, size = open_regular(path, what)
    try:
        if size > limit:
            raise InputRefused(too_large(path, what, size, limit))
        os.set_blocking(fd, True)
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(MiB, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as e:
        raise InputRefused(open_error(Path(path), what, e)) from None
    finally:
        os.close(fd)
    if total > limit:
        raise InputRefused(too_large(path, what, total, limit))
    return b"".join(chunks)


@contextlib.contextmanager
def opened_image(path: str | os.PathLike) -> Iterator[Any]:
    """A Pillow image, opened lazily (header read, nothing decoded yet) after the checks.

    Raises FileNotFoundError for a missing file, :class:`ImageRefused` for a non-regular,
    oversized or too-many-pixel one, and OSError/ValueError/SyntaxError from Pillow for a
    file that is not an image.
    """
    from PIL import Image

    path = Path(path)
    try:
        fd, size = open_regular(path, "image")
    except InputRefused as e:
        if not os.path.lexists(path):
            raise FileNotFoundError(errno.ENOENT, "not found", str(path)) from None
        raise ImageRefused(str(e)) from None
    with os.fdopen(fd, "rb") as f:
        if size > MAX_IMAGE_BYTES:
            raise ImageRefused(too_large(path, "image", size, MAX_IMAGE_BYTES))
        os.set_blocking(fd, True)
        # Pillow's own bomb check (a larger cap) would hide the size; ours is stricter.
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            img = Image.open(f)
        finally:
            Image.MAX_IMAGE_PIXELS = saved
        with img:
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ImageRefused(f"image {path} is {width}x{height} pixels, over the limit of {MAX_IMAGE_PIXELS:,} pixels")
            yield img


def check_image(path: str | os.PathLike) -> tuple[int, int]:
    """(width, height) from the image's header, refusing what must not be decoded."""
    with opened_image(path) as img:
        return img.size
