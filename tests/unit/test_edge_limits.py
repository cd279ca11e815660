"""The device runtime's input bounds (dlterm_edge.limits): what a device is given is
untrusted, so FIFOs, devices, huge files and pixel bombs are refused before any read."""

from __future__ import annotations

import os
import struct
import zlib

import pytest

from dlterm_edge.errors import InferenceError
from dlterm_edge.inputs import read_inputs
from dlterm_edge.limits import MAX_IMAGE_PIXELS, ImageRefused, InputRefused, check_image, read_bytes


class Text:
    task = "text-classification"


class Series:
    task = "sequence-forecasting"
    prep = {"columns": ["v"]}


def png_header(path, width: int, height: int):
    """A PNG whose header claims ``width`` x ``height`` (no pixel data needed to refuse it)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IEND", b""))
    return path


def test_a_fifo_is_refused_without_blocking(tmp_path):
    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)
    with pytest.raises(InputRefused, match="is a FIFO"):
        read_inputs(Text(), [f"@{pipe}"])


def test_a_device_and_a_folder_are_refused(tmp_path):
    with pytest.raises(InputRefused, match="is a device, not a regular file"):
        read_inputs(Text(), ["@/dev/zero"])
    with pytest.raises(InputRefused, match="is a folder"):
        read_bytes(tmp_path, 10, "CSV file")


def test_text_and_csv_files_over_their_caps_are_refused(tmp_path, monkeypatch):
    import dlterm_edge.inputs as inputs

    big = tmp_path / "big.txt"
    big.write_text("x" * 101)
    monkeypatch.setattr(inputs, "MAX_TEXT_BYTES", 100)
    with pytest.raises(InputRefused, match=r"big.txt is 101 bytes, over the limit of 100 bytes"):
        read_inputs(Text(), [f"@{big}"])
    series = tmp_path / "s.csv"
    series.write_text("v\n" + "1\n" * 60)
    monkeypatch.setattr(inputs, "MAX_CSV_BYTES", 100)
    with pytest.raises(InputRefused, match="over the limit"):
        read_inputs(Series(), [str(series)])


def test_readable_inputs_still_read(tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("\ufeffa fine film", encoding="utf-8")
    assert read_inputs(Text(), [f"@{text}", "plain words"]) == ["a fine film", "plain words"]
    series = tmp_path / "s.csv"
    series.write_text("v\n1\n2.5\n\n3\n")
    assert read_inputs(Series(), [str(series)]) == [[1.0], [2.5], [3.0]]
    latin = tmp_path / "latin.txt"
    latin.write_bytes("café".encode("latin-1"))
    with pytest.raises(InferenceError, match="is not UTF-8 text"):
        read_inputs(Text(), [f"@{latin}"])


def test_an_image_is_checked_from_its_header(tmp_path):
    side = int(MAX_IMAGE_PIXELS ** 0.5) + 1
    with pytest.raises(ImageRefused, match=f"is {side}x{side} pixels, over the limit"):
        check_image(png_header(tmp_path / "bomb.png", side, side))
    assert check_image(png_header(tmp_path / "ok.png", 64, 32)) == (64, 32)
    with pytest.raises(FileNotFoundError):
        check_image(tmp_path / "missing.png")
