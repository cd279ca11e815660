"""Atomically written files get the mode the user's umask asks for (mkstemp alone gives 0600)."""

import os
import stat

import pytest

from dlterm.fileio import atomic_path, current_umask, write_bytes, write_json, write_text


@pytest.fixture
def umask():
    """Set the process umask for one test and restore it afterwards."""
    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_atomic_writers_follow_the_umask(tmp_path, umask, mask, expected):
    umask(mask)
    assert current_umask() == mask
    write_json(tmp_path / "run.json", {"a": 1})
    write_text(tmp_path / "summary.txt", "x")
    write_bytes(tmp_path / "model.onnx", b"\0")
    for name in ("run.json", "summary.txt", "model.onnx"):
        assert mode(tmp_path / name) == expected, name


def test_a_writer_that_replaces_the_temporary_file_still_gets_the_umask_mode(tmp_path, umask):
    umask(0o022)
    with atomic_path(tmp_path / "best.keras", suffix=".keras") as tmp:
        os.unlink(tmp)  # Keras-style writers recreate the file themselves
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT, 0o600)
        os.close(fd)
    assert mode(tmp_path / "best.keras") == 0o644


def test_overwriting_keeps_the_umask_mode_not_the_old_files(tmp_path, umask):
    target = tmp_path / "history.csv"
    target.write_text("old")
    os.chmod(target, 0o600)
    umask(0o022)
    write_text(target, "new")
    assert target.read_text() == "new" and mode(target) == 0o644
