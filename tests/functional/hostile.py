"""Files an attacker or a careless user hands to dlterm, made cheaply for tests.

Each helper builds the hostile thing without paying its cost: a zip bomb is written member
by member from one compressed block (a few MB on disk, gigabytes declared), a huge image
is only a valid PNG header, an oversized file is sparse.
"""

from __future__ import annotations

import json
import os
import struct
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


def zip_bomb(path: Path, members: int = 70, member_bytes: int = 64 * 1024 * 1024) -> Path:
    """A .keras-looking zip (config.json first) whose other members each inflate to
    ``member_bytes`` of zeros: 70 x 64 MiB = 4.4 GiB from a file of about 4.5 MB."""
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflater.compress(b"\0" * member_bytes) + deflater.flush()
    zero_crc = zlib.crc32(b"\0" * member_bytes)
    config = json.dumps({"class_name": "Functional", "config": {}}).encode()
    entries = [("config.json", 0, config, zlib.crc32(config), len(config))]
    entries += [(f"assets/{i}.bin", 8, block, zero_crc, member_bytes) for i in range(members)]
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
