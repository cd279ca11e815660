"""The checked readers of dlterm.limits: regular files only, caps, archive and pixel checks."""

import os
import re
import zipfile

import pytest

from dlterm import limits
from dlterm.errors import DltermError
from tests.functional.hostile import fifo, png_header, sparse, zip_bomb


def test_read_bytes_reads_a_small_regular_file(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"hello")
    assert limits.read_bytes(tmp_path / "a.txt", 5, "text file", "hint") == b"hello"


def test_read_bytes_refuses_one_byte_over_the_cap(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"hello!")
    with pytest.raises(DltermError, match=r"text file .*a.txt is 6 bytes, over the limit of 5 bytes"):
        limits.read_bytes(tmp_path / "a.txt", 5, "text file", "hint")


@pytest.mark.parametrize("make, message", [
    (lambda p: fifo(p), "is a FIFO (named pipe), not a regular file"),
    (lambda p: os.symlink(p.name, p), "is a symlink loop"),
    (lambda p: os.symlink(os.devnull, p), "is a device, not a regular file"),
    (lambda p: p.mkdir(), "is a folder, not a file"),
    (lambda p: None, "data file not found"),
])
def test_read_bytes_refuses_what_is_not_a_regular_file(tmp_path, make, message):
    path = tmp_path / "x"
    make(path)
    with pytest.raises(DltermError, match=re.escape(message)) as info:
        limits.read_bytes(path, 100, "data file", "give a file")
    assert info.value.hint == "give a file"


def test_a_sparse_file_is_refused_from_its_size_without_reading(tmp_path):
    path = sparse(tmp_path / "big", 5 * limits.GiB)
    with pytest.raises(DltermError, match="is 5 GiB, over the limit of 1 MiB"):
        limits.read_bytes(path, limits.MiB, "config file", "hint")


def test_check_image_reads_the_header_only(tmp_path):
    assert limits.check_image(png_header(tmp_path / "ok.png", 300, 200)) == (300, 200)
    with pytest.raises(limits.ImageRefused, match="is 20000x20000 pixels, over the limit"):
        limits.check_image(png_header(tmp_path / "big.png", 20000, 20000))
    with pytest.raises(limits.ImageRefused, match="FIFO"):
        limits.check_image(fifo(tmp_path / "pipe.png"))
    with pytest.raises(FileNotFoundError):
        limits.check_image(tmp_path / "missing.png")


def test_check_keras_archive(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_ARCHIVE_MEMBERS", 5)
    good = tmp_path / "good.keras"
    with zipfile.ZipFile(good, "w") as z:
        z.writestr("config.json", "{}")
        z.writestr("model.weights.h5", b"\0" * 1000)
    assert limits.check_keras_archive(good) == good
    crowded = tmp_path / "crowded.keras"
    with zipfile.ZipFile(crowded, "w") as z:
        z.writestr("config.json", "{}")
        for i in range(limits.MAX_ARCHIVE_MEMBERS):
            z.writestr(f"{i}", b"")
    with pytest.raises(DltermError, match="has 6 members, over the limit of 5"):
        limits.check_keras_archive(crowded)
    monkeypatch.setattr(limits, "MAX_ARCHIVE_BYTES", 2 * limits.MiB)
    bomb = zip_bomb(tmp_path / "bomb.keras", blocks=3, block_bytes=limits.MiB)
    assert bomb.stat().st_size < 20_000
    with pytest.raises(DltermError, match="would expand to 3 MiB, over the limit of 2 MiB"):
        limits.check_keras_archive(bomb)
    (tmp_path / "text.keras").write_text("not a zip")
    with pytest.raises(DltermError, match="not a readable .keras zip"):
        limits.check_keras_archive(tmp_path / "text.keras")


def test_check_memory_refuses_more_than_is_available():
    available = limits.available_memory()
    assert available is not None and available > 0
    limits.check_memory(1024, "tiny", "hint")
    with pytest.raises(DltermError, match="needs about .* of memory, but only .* is available") as info:
        limits.check_memory(available * 2, "the data", "lower data.samples")
    assert info.value.hint == "lower data.samples"
