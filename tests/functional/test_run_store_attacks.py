"""The run store attacked: run folders copied from someone else, damaged by a crash or
by hand, links planted inside the models folder, busy runs. Every case: one line on
stderr naming the problem, the promised exit code, no traceback, and nothing in the
models folder (or outside it) written or deleted. No TensorFlow: every refusal comes
before a model is loaded, so these run in about a second each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import cli_env
from tests.conftest import run_cli_here as run_cli

GOOD = "cnn-20260101-120000"
OTHER = "lstm-20260101-130000"


def run_meta(run_id: str, **changes) -> dict:
    meta = {"id": run_id, "plugin": "cnn", "task": "image-classification", "dataset": "shapes", "created": 1767268800.0,
            "status": "completed", "pid": None, "host": "elsewhere", "epochs_completed": 2, "monitor": "val_accuracy",
            "config": {"hyperparameters": {"filters": 4}, "training": {"epochs": 2, "seed": 1}, "data": {"samples": 200}},
            "best": {"monitor": "val_accuracy", "mode": "max", "value": 0.5, "epoch": 2}, "metrics": {"loss": 0.7},
            "class_names": ["a", "b"], "params": 10}
    meta.update(changes)
    return meta


def make_run(models: Path, run_id: str, meta: dict | None = None, **changes) -> Path:
    """A run folder as dlterm writes it (the model files are stand-ins: nothing here loads them)."""
    folder = models / run_id
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps(meta if meta is not None else run_meta(run_id, **changes)))
    (folder / ".lock").write_text("")
    for name in ("best.keras", "last.keras", "final.keras"):
        (folder / name).write_bytes(b"PK stand-in")
    (folder / "history.csv").write_text("epoch,loss\n1,0.9\n2,0.7\n")
    (folder / "preprocessing.json").write_text("{}")
    (folder / "summary.txt").write_text("model summary\n")
    return folder


def tree(*folders: Path) -> dict[str, float]:
    """Every path under the folders (links not followed) with its modification time."""
    out = {}
    for folder in folders:
        for path in [folder, *folder.rglob("*")]:
            out[str(path)] = path.lstat().st_mtime_ns
    return out


@pytest.fixture
def world(tmp_path):
    env = cli_env(tmp_path)
    (tmp_path / "plugins").mkdir()
    models = Path(env["DLTERM_HOME"])
    make_run(models, GOOD)
    make_run(models, OTHER, plugin="lstm", task="sequence-forecasting", dataset="seasonal", created=1767272400.0,
             config={"hyperparameters": {}, "training": {"epochs": 2, "seed": 1}, "data": {}})
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me")
    return {"env": env, "models": models, "outside": outside, "tmp": tmp_path}


def damage(world, run_id: str, how: str) -> None:
    """Damage ``run_id`` in one of many ways (each one a case below)."""
    models, outside = world["models"], world["outside"]
    folder = models / run_id
    meta_path = folder / "run.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    changes = {
        "id-escapes-up": {"id": "../../x"},
        "id-is-plugin-folder": {"id": "~/.dlterm/plugins"},
        "id-of-another-run": {"id": OTHER},
        "epochs-as-text": {"epochs_completed": "3"},
        "epochs-negative": {"epochs_completed": -1},
        "epochs-huge": {"epochs_completed": 10**12},
        "best-value-text": {"best": {"monitor": "val_accuracy", "mode": "max", "value": "high", "epoch": 1}},
        "config-missing": {"config": None},
        "config-epochs-text": {"config": {"hyperparameters": {}, "training": {"epochs": "ten", "seed": 1}, "data": {}}},
        "status-unknown": {"status": "paused"},
        "created-text": {"created": "yesterday"},
        "pid-text": {"pid": "1234"},
        "metrics-text": {"metrics": {"loss": "low"}},
        "class-names-numbers": {"class_names": [1, 2]},
        "plugin-list": {"plugin": ["cnn"]},
    }
    if how in changes:
        meta_path.write_text(json.dumps({**meta, **changes[how]}))
    elif how == "not-json":
        meta_path.write_text("{not json")
    elif how == "json-list":
        meta_path.write_text("[1, 2, 3]")
    elif how == "binary":
        meta_path.write_bytes(bytes(range(256)))
    elif how == "huge":
        meta_path.write_text(json.dumps({**meta, "padding": "x" * 5_000_000}))
    elif how == "fifo":  # a reader that opens it naively blocks forever
        meta_path.unlink()
        os.mkfifo(meta_path)
    elif how == "link-to-outside":
        (outside / "run.json").write_text(json.dumps(meta))
        meta_path.unlink()
        meta_path.symlink_to(outside / "run.json")
    elif how == "link-to-dev-zero":
        meta_path.unlink()
        meta_path.symlink_to("/dev/zero")
    elif how == "folder-is-link":
        real = outside / "real-run"
        folder.rename(real)
        folder.symlink_to(real)
    else:  # pragma: no cover
        raise AssertionError(how)


DAMAGES = {  # how -> what the refusal says
    "id-escapes-up": "its id '../../x' is not the folder's name",
    "id-is-plugin-folder": "its id '~/.dlterm/plugins' is not the folder's name",
    "id-of-another-run": "is not the folder's name",
    "epochs-as-text": "epochs_completed must be a whole number",
    "epochs-negative": "epochs_completed must be a whole number",
    "epochs-huge": "epochs_completed must be a whole number",
    "best-value-text": "best must have a monitor, a value and an epoch",
    "config-missing": "config must have hyperparameters, training and data",
    "config-epochs-text": "config.training.epochs must be a whole number",
    "status-unknown": "status must be one of",
    "created-text": "created must be a time",
    "pid-text": "pid must be a whole number",
    "metrics-text": "metrics must map names to numbers",
    "class-names-numbers": "class_names must be a list of names",
    "plugin-list": "plugin must be a name",
    "not-json": "run.json is not valid JSON",
    "json-list": "not a JSON object",
    "binary": "run.json is not valid JSON",
    "huge": "run.json is larger than",
    "fifo": "run.json is not a regular file",
    "link-to-outside": "run.json is a symbolic link",
    "link-to-dev-zero": "run.json is a symbolic link",
    "folder-is-link": "the run folder is a symbolic link",
}


def check_refusal(world, args: list[str], code: int, message: str) -> None:
    before = tree(world["models"], world["outside"])
    result = run_cli(args, world["env"], timeout=60)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == code, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert message in lines[0], lines[0]
    assert " — " in lines[0] and "Traceback" not in result.stderr and result.stdout == ""
    assert tree(world["models"], world["outside"]) == before  # nothing written, nothing deleted


@pytest.mark.parametrize("how", list(DAMAGES))
def test_a_damaged_run_is_refused_by_name(world, how):
    damage(world, GOOD, how)
    check_refusal(world, ["show", GOOD], 2, f"run {GOOD} is damaged: " if how != "folder-is-link" else "symbolic link")
    check_refusal(world, ["train", "--resume", GOOD], 2, DAMAGES[how])


@pytest.mark.parametrize("how", ["id-is-plugin-folder", "epochs-as-text", "fifo", "link-to-dev-zero", "folder-is-link"])
def test_a_damaged_run_is_listed_as_damaged_and_never_breaks_the_others(world, how):
    damage(world, GOOD, how)
    listing = run_cli(["runs", "--json"], world["env"], timeout=60)
    assert listing.returncode == 0, listing.stderr
    runs = {r["id"]: r for r in json.loads(listing.stdout)}
    assert runs[GOOD]["status"] == "damaged" and DAMAGES[how] in runs[GOOD]["damaged"]
    assert runs[OTHER]["status"] == "completed"
    table = run_cli(["runs"], world["env"], timeout=60)
    assert table.returncode == 0 and "damaged" in table.stdout and OTHER in table.stdout
    latest = run_cli(["show", "latest", "--json"], world["env"], timeout=60)  # GOOD is older; OTHER is latest
    assert latest.returncode == 0 and json.loads(latest.stdout)["id"] == OTHER
    assert not (Path(world["env"]["HOME"]) / ".dlterm").exists()


def test_latest_skips_a_damaged_newest_run(world):
    make_run(world["models"], "cnn-20270101-000000", created=1798761600.0)
    damage(world, "cnn-20270101-000000", "best-value-text")
    shown = run_cli(["show", "latest", "--json"], world["env"], timeout=60)
    assert shown.returncode == 0 and json.loads(shown.stdout)["id"] == OTHER


def test_run_ids_are_listed_whole_at_80_columns_and_when_piped(world):
    wide = "mobilenet-20260101-140000-12"  # long id, long neighbours: the other columns give way
    make_run(world["models"], wide, plugin="mobilenet", dataset="hymenoptera-photos-folder",
             best={"monitor": "val_char_accuracy", "mode": "max", "value": 0.98765, "epoch": 2})
    result = run_cli(["runs"], {**world["env"], "COLUMNS": "80"}, timeout=60)
    assert result.returncode == 0
    for run_id in (GOOD, OTHER, wide):
        assert run_id in result.stdout.split(), result.stdout


# -- links inside the models folder --------------------------------------------------

def test_export_never_writes_or_sweeps_through_a_linked_exports_folder(world):
    target = world["outside"]
    (target / ".tmp-model.onnx.abc").write_text("someone else's file that looks like our temporary")
    (target / "model.onnx").write_text("someone else's model")
    (world["models"] / GOOD / "exports").symlink_to(target, target_is_directory=True)
    check_refusal(world, ["export", GOOD, "--format", "onnx"], 2, "exports/ is a symbolic link")
    assert (target / ".tmp-model.onnx.abc").exists() and (target / "model.onnx").read_text() == "someone else's model"


def test_resume_never_writes_tensorboard_logs_through_a_link(world):
    (world["models"] / GOOD / "tensorboard").symlink_to(world["outside"], target_is_directory=True)
    meta = run_meta(GOOD, status="interrupted", config={"hyperparameters": {}, "training": {"epochs": 4, "seed": 1}, "data": {}})
    (world["models"] / GOOD / "run.json").write_text(json.dumps(meta))
    check_refusal(world, ["train", "--resume", GOOD], 2, "tensorboard/ is a symbolic link")


def test_a_planted_lock_link_is_refused(world):
    lock = world["models"] / GOOD / ".lock"
    lock.unlink()
    lock.symlink_to(world["outside"] / "precious.txt")
    check_refusal(world, ["export", GOOD, "--format", "onnx"], 2, ".lock is a symbolic link")
    assert (world["outside"] / "precious.txt").read_text() == "keep me"


def test_delete_removes_links_never_their_targets(world):
    folder = world["models"] / GOOD
    (folder / "exports").symlink_to(world["outside"], target_is_directory=True)
    (folder / "notes").symlink_to(world["outside"] / "precious.txt")
    result = run_cli(["delete", GOOD, "--yes"], world["env"], timeout=60)
    assert result.returncode == 0, result.stderr
    assert not folder.exists() and (world["outside"] / "precious.txt").read_text() == "keep me"
    assert sorted(p.name for p in world["models"].iterdir()) == [OTHER]


def test_delete_of_a_linked_run_folder_removes_only_the_link(world):
    damage(world, GOOD, "folder-is-link")
    result = run_cli(["delete", GOOD, "--yes"], world["env"], timeout=60)
    assert result.returncode == 0, result.stderr
    assert not (world["models"] / GOOD).is_symlink() and (world["outside"] / "real-run" / "run.json").is_file()


# -- one writer per run ------------------------------------------------------------

@pytest.fixture
def holder(world):
    """A process holding GOOD's lock, as a training or an export would."""
    code = ("import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR); fcntl.flock(fd, fcntl.LOCK_EX); "
            "os.write(fd, b'%d exporting' % os.getpid()); print('held', flush=True); sys.stdin.read()")
    proc = subprocess.Popen([sys.executable, "-c", code, str(world["models"] / GOOD / ".lock")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    yield proc
    proc.stdin.close()
    proc.wait(timeout=30)


@pytest.mark.parametrize("args", [["export", GOOD, "--format", "onnx"], ["evaluate", GOOD],
                                  ["train", "--resume", GOOD, "--epochs", "5"], ["delete", GOOD, "--yes"]])
def test_a_busy_run_is_refused(world, holder, args):
    # An export in flight: its temporary must survive a second export's sweep.
    (world["models"] / GOOD / "exports").mkdir()
    (world["models"] / GOOD / "exports" / ".tmp-model.onnx.inflight").write_text("half")
    check_refusal(world, args, 2, f"run {GOOD} is busy: exporting (pid {holder.pid})")


def test_a_killed_holder_never_leaves_the_lock_stuck(world, holder):
    holder.kill()
    holder.wait()
    result = run_cli(["delete", GOOD, "--yes"], world["env"], timeout=60)
    assert result.returncode == 0, result.stderr


def test_a_recycled_pid_does_not_make_a_run_look_running(world):
    # run.json says running with the pid of a live process that is not dlterm (this one):
    # nobody holds the lock, so it reads as interrupted and can be resumed or deleted.
    meta = run_meta(GOOD, status="running", pid=os.getpid(), host=None)
    (world["models"] / GOOD / "run.json").write_text(json.dumps(meta))
    runs = {r["id"]: r for r in json.loads(run_cli(["runs", "--json"], world["env"], timeout=60).stdout)}
    assert runs[GOOD]["status"] == "interrupted"


# -- resume is validated like a new run ---------------------------------------------

INTERRUPTED = {"status": "interrupted", "config": {"hyperparameters": {"filters": 4}, "training": {"epochs": 4, "seed": 1},
                                                   "data": {"samples": 200}}}


@pytest.mark.parametrize("args, message", [
    (["--set", "epochs=abc"], "invalid training option epochs: expected a whole number, got 'abc'"),
    (["--epochs", "1000000000000"], "above the maximum 100000"),
    (["--set", "training.epochs=0"], "below the minimum 1"),
    (["--strategy", "everywhere"], "invalid training option strategy"),
    (["--set", "filters=8"], "cannot change filters"),
])
def test_resume_settings_are_checked(world, args, message):
    (world["models"] / GOOD / "run.json").write_text(json.dumps(run_meta(GOOD, **INTERRUPTED)))
    check_refusal(world, ["train", "--resume", GOOD, *args], 2, message)


@pytest.mark.parametrize("config, message", [
    ({"hyperparameters": {"filters": "many"}}, "hyperparameters setting 'filters' is invalid: expected a whole number"),
    ({"hyperparameters": {"colour": 3}}, "hyperparameters setting 'colour' is unknown"),
    ({"training": {"epochs": 4, "seed": 1, "optimizer": "lion"}}, "training setting 'optimizer' is invalid"),
    ({"training": {"epochs": 4, "seed": 1, "batch_size": 0}}, "training setting 'batch_size' is invalid"),
])
def test_a_resumed_runs_stored_settings_are_checked(world, config, message):
    cfg = {**INTERRUPTED["config"], **config}
    (world["models"] / GOOD / "run.json").write_text(json.dumps(run_meta(GOOD, status="interrupted", config=cfg)))
    check_refusal(world, ["train", "--resume", GOOD], 2, message)


def test_a_resumed_runs_dataset_is_checked(world):
    meta = run_meta(GOOD, status="interrupted", dataset="../../etc/passwd", config=INTERRUPTED["config"])
    (world["models"] / GOOD / "run.json").write_text(json.dumps(meta))
    check_refusal(world, ["train", "--resume", GOOD], 2, "unknown dataset")


# -- delete ------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["delete", GOOD], "needs confirmation"),  # no terminal to ask, no --yes
    (["delete", "cnn-2026", "--yes"], "unknown run 'cnn-2026'"),  # prefixes are for reading, not deleting
    (["delete", "latest", "--yes"], "unknown run 'latest'"),
    (["delete", "../outside", "--yes"], "not a valid run id"),
    (["delete", ".lock", "--yes"], "not a valid run id"),
])
def test_delete_refuses_what_it_must_not_delete(world, args, message):
    check_refusal(world, args, 2, message)


# -- damaged records never break reading ----------------------------------------------

@pytest.mark.parametrize("name, content", [
    ("history.csv", "epoch,loss\n1,0.9\nnot,a,row,at,all\n2,lots\n\x00\x01\n"),
    ("evaluation.json", "[1, 2]"),
    ("evaluation.json", '{"metrics": {"accuracy": "high"}}'),
    ("exports.json", '{"format": "onnx"}'),
    ("exports.json", '[{"format": "onnx", "quantize": "none", "path": "/etc/model.onnx", "files": ["/etc/passwd"], '
                     '"metric": "accuracy", "max_abs_error": 0, "keras_metric": 1, "export_metric": 1, "size_bytes": 1}]'),
    ("exports.json", '[{"format": "onnx", "quantize": "none", "path": "/etc/model.onnx", "metric": "accuracy", '
                     '"max_abs_error": 0, "keras_metric": 1, "export_metric": 1, "size_bytes": 1}]'),
    ("summary.txt", "[red]not markup[/red] \udcff"),
])
def test_a_damaged_record_does_not_break_show(world, name, content):
    (world["models"] / GOOD / name).write_text(content, errors="surrogateescape")
    result = run_cli(["show", GOOD], world["env"], timeout=60)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    as_json = json.loads(run_cli(["show", GOOD, "--json"], world["env"], timeout=60).stdout)
    assert all(e["path"].startswith(str(world["models"] / GOOD / "exports")) for e in as_json["exports"])


@pytest.mark.parametrize("args", [["train", "--resume", GOOD, "--epochs", "5"], ["evaluate", GOOD],
                                  ["export", GOOD, "--format", "onnx"]])
def test_a_read_only_run_folder_is_named(world, monkeypatch, capsys, args):
    """(In-process: tests run as root, where chmod does not make a folder read-only.)"""
    import errno
    import tempfile

    from dlterm.__main__ import main

    def read_only(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    for key in ("DLTERM_HOME", "DLTERM_PLUGIN_PATH", "HOME"):
        monkeypatch.setenv(key, world["env"][key])
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    monkeypatch.setattr(sys, "argv", ["dlterm", *args])
    before = tree(world["models"])
    with pytest.raises(SystemExit) as exited:
        main()
    err = capsys.readouterr().err.strip().splitlines()
    assert exited.value.code == 2 and len(err) == 1, err
    assert f"the run folder {world['models'] / GOOD} is read-only (Read-only file system)" in err[0]
    assert tree(world["models"]) == before
