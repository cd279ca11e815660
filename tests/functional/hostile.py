"""Files an attacker or a careless user hands to dlterm, made cheaply for tests.

Each helper builds the hostile thing without paying its cost: a zip bomb is written member
by member from one compressed block (a few MB on disk, gigabytes declared), a huge image
is only a valid PNG header, an oversized file is sparse.
"""

from __future__ import annotations

import json
import os
import struct
import zipfile
import zlib
from pathlib import Path

CHECK_SECONDS = 60  # a refusal takes a second or two; a hang on a FIFO never returns


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def sparse(path: Path, size: int, head: bytes = b"") -> Path:
    """A file of ``size`` bytes that takes no disk space (reads as ``head`` then zeros)."""
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(size)
    return path


def png_header(path: Path, width: int, height: int) -> Path:
    """A PNG that declares ``width`` x ``height`` pixels but holds almost no data."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path


def zip_bomb(path: Path, model: Path | None = None, blocks: int = 60, block_bytes: int = 64 * 1024 * 1024) -> Path:
    """A .keras zip whose ``model.weights.h5`` inflates to ``blocks`` x ``block_bytes`` of
    zeros (60 x 64 MiB = 3.75 GiB) from a file of about 4 MB: the zeros are compressed once
    and the independent deflate block repeated. With ``model`` (a real .keras file) the
    other members are that model's and the real weights come first, so Keras would read
    the whole member into memory. The CRC is not computed: nothing may read that far."""
    real: dict[str, bytes] = {"config.json": json.dumps({"class_name": "Functional", "config": {}}).encode()}
    weights = b""
    if model is not None:
        with zipfile.ZipFile(model) as z:
            real = {name: z.read(name) for name in z.namelist()}
        weights = real.pop("model.weights.h5", b"")
    first = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = first.compress(weights) + first.flush(zlib.Z_FULL_FLUSH)  # byte-aligned, no back-references
    zeros = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = zeros.compress(b"\0" * block_bytes) + zeros.flush(zlib.Z_FULL_FLUSH)
    stream = head + block * blocks + b"\x03\x00"  # an empty final block ends the stream
    entries = [(name, 0, data, zlib.crc32(data), len(data)) for name, data in real.items()]
    entries.append(("model.weights.h5", 8, stream, 0, len(weights) + blocks * block_bytes))
    local, central = bytearray(), bytearray()
    for name, method, data, crc, size in entries:
        raw = name.encode()
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(data), size,
                               len(raw), 0, 0, 0, 0, 0, len(local)) + raw
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data), size, len(raw), 0)
        local += raw + data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(local), 0)
    path.write_bytes(bytes(local + central + end))
    return path
