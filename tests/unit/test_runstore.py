import os
import subprocess
import sys

import pytest

from dlterm.errors import DltermError
from dlterm.fileio import atomic_path, read_json, write_json
from dlterm.runstore import RunStore


def test_create_get_prefix_and_latest(tmp_path):
    store = RunStore(tmp_path)
    a = store.create("cnn", {"dataset": "shapes"})
    b = store.create("cnn", {"dataset": "shapes"})
    c = store.create("lstm", {"dataset": "seasonal"})
    assert a.id != b.id and read_json(a.file("run.json"))["status"] == "running"
    assert store.get(a.id).id == a.id
    assert store.get("latest").id in (a.id, b.id, c.id)
    assert store.get("lstm").id == c.id  # a unique prefix, not the whole id
    with pytest.raises(DltermError, match="ambiguous"):
        store.get("cnn-")
    with pytest.raises(DltermError, match="unknown run"):
        store.get("lstm-1")


@pytest.mark.parametrize("ref", ["../etc", "/abs/path", "a/b", "..", ".hidden"])
def test_run_ids_cannot_escape_the_models_folder(tmp_path, ref):
    with pytest.raises(DltermError, match="not a valid run id"):
        RunStore(tmp_path).get(ref)


def test_a_dead_process_reads_as_interrupted(tmp_path):
    run = RunStore(tmp_path).create("cnn", {})
    assert run.status == "running"  # this process is alive
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    run.update(pid=proc.pid)
    assert RunStore(tmp_path).get(run.id).status == "interrupted"


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "x.json"
    write_json(target, {"v": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert read_json(target) == {"v": 1}
    assert os.listdir(tmp_path) == ["x.json"]


def test_history_round_trip(tmp_path):
    run = RunStore(tmp_path).create("cnn", {})
    run.write_history([{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.25, "val_loss": 0.3}])
    assert run.history() == [{"epoch": 1.0, "loss": 0.5}, {"epoch": 2.0, "loss": 0.25, "val_loss": 0.3}]


def test_unwritable_models_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(DltermError, match="cannot create the models folder"):
        RunStore(blocker / "models").create("cnn", {})
