import os
import subprocess
import sys

import pytest

from dlterm.errors import DltermError
from dlterm.fileio import atomic_path, read_json, write_json
from dlterm.runstore import RunStore

META = {"task": "image-classification", "dataset": "shapes",
        "config": {"hyperparameters": {}, "training": {"epochs": 2, "seed": 1}, "data": {}}}


def test_create_get_prefix_and_latest(tmp_path):
    store = RunStore(tmp_path)
    a = store.create("cnn", META)
    b = store.create("cnn", META)
    c = store.create("lstm", {**META, "dataset": "seasonal"})
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
    run = RunStore(tmp_path).create("cnn", META)
    assert run.status == "running"  # this process holds the run
    run.release()
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
    run = RunStore(tmp_path).create("cnn", META)
    run.write_history([{"epoch": 1, "loss": 0.5}, {"epoch": 2, "loss": 0.25, "val_loss": 0.3}])
    assert run.history() == [{"epoch": 1.0, "loss": 0.5}, {"epoch": 2.0, "loss": 0.25, "val_loss": 0.3}]


def test_unwritable_models_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(DltermError, match="cannot create the models folder"):
        RunStore(blocker / "models").create("cnn", META)


def test_an_epoch_is_committed_by_run_json_then_its_checkpoints_promoted(tmp_path):
    run = RunStore(tmp_path).create("cnn", META)
    run.pending_checkpoint("last", 1).write_bytes(b"epoch 1")
    run.commit_epoch(1, best={})
    assert run.checkpoint("last").read_bytes() == b"epoch 1" and not run.pending_checkpoint("last", 1).exists()
    assert read_json(run.file("run.json"))["epochs_completed"] == 1


def test_recover_promotes_recorded_pending_checkpoints_and_drops_unrecorded_ones(tmp_path):
    run = RunStore(tmp_path).create("cnn", META)
    run.checkpoint("last").write_bytes(b"epoch 1")
    run.update(epochs_completed=2)  # killed after run.json recorded epoch 2, before the rename
    run.pending_checkpoint("last", 2).write_bytes(b"epoch 2")
    run.pending_checkpoint("best", 3).write_bytes(b"epoch 3")  # and epoch 3 never got recorded
    (run.path / ".tmp-history.csv.x").write_text("half")
    assert sorted(run.recover()) == [".tmp-history.csv.x", "best.epoch-3.keras", "last.epoch-2.keras"]
    assert run.checkpoint("last").read_bytes() == b"epoch 2" and not run.checkpoint("best").exists()
    assert sorted(p.name for p in run.path.iterdir()) == [".lock", "last.keras", "run.json"]


def test_the_lock_refuses_a_second_holder_and_is_freed_on_release(tmp_path):
    store = RunStore(tmp_path)
    run = store.create("cnn", META)
    other = store.get(run.id)
    assert other.busy
    with pytest.raises(DltermError, match=f"run {run.id} is busy: training \\(pid {os.getpid()}\\)"):
        other.hold("exporting")
    run.release()
    assert not other.busy
    with other.writing("exporting"):
        assert store.get(run.id).busy
    assert not other.busy


def test_a_run_that_cannot_be_written_at_start_leaves_no_folder(tmp_path, monkeypatch):
    import errno

    import dlterm.runstore as runstore

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runstore, "write_json", full)
    with pytest.raises(DltermError, match="No space left on device") as caught:
        RunStore(tmp_path).create("cnn", META)
    assert caught.value.exit_code == 2 and list(tmp_path.iterdir()) == []


def test_history_skips_rows_that_do_not_parse_and_stops_at_the_recorded_epoch(tmp_path):
    run = RunStore(tmp_path).create("cnn", META)
    run.file("history.csv").write_text("epoch,loss\n1,0.5\nx,y\n2,nan-ish\n3,0.25\n")
    assert run.history() == [{"epoch": 1.0, "loss": 0.5}, {"epoch": 2.0}, {"epoch": 3.0, "loss": 0.25}]
    assert run.history(upto=2) == [{"epoch": 1.0, "loss": 0.5}, {"epoch": 2.0}]
