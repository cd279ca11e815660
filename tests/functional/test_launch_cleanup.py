"""``dlterm launch`` names the worker that really failed and leaves nothing in /tmp.

The workers here are stand-in scripts (no TensorFlow): the launcher's job is processes,
messages and clean-up, whatever the workers do."""

import sys

import pytest

from dlterm.launch import launch_local

WORKER = """#!{python}
import json, os, signal, sys, time
index = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
plan = {plan!r}[index]
copy = os.path.join(os.environ["DLTERM_WORKER_TMP"], f"dlterm-worker-{{index}}", "run")
os.makedirs(copy)  # the private run copy a non-chief worker trains in
open(os.path.join(copy, "last.keras"), "w").write("weights")
if index == 0:
    print(json.dumps({{"event": "run_created", "run_dir": "x"}}), flush=True)
time.sleep(plan[0])
if plan[1] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
if plan[1] != 0:
    print("error: something specific went wrong — fix it", file=sys.stderr)
sys.exit(plan[1])
"""


@pytest.fixture
def launch(tmp_path, monkeypatch, capsys):
    """launch(plan) -> (exit code, stderr, what is left in the temporary folder)."""
    import tempfile

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))

    def run(plan):
        script = tmp_path / "worker"
        script.write_text(WORKER.format(python=sys.executable, plan=plan))
        script.chmod(0o755)
        monkeypatch.setattr(sys, "executable", str(script))
        code = launch_local(["train", "cnn"], len(plan), lambda event: None)
        return code, capsys.readouterr().err, sorted(p.name for p in tmp.rglob("*"))

    return run


def test_a_chief_that_dies_is_blamed_not_the_worker_the_launcher_stopped(launch):
    code, err, left = launch([(0.5, "kill"), (30, 0)])
    assert code == 1
    assert "the chief (worker 0) was killed by SIGKILL" in err and "worker 1 failed" not in err
    assert left == []  # no log folder, no run copy


def test_a_failing_worker_is_named_with_its_message_and_its_run_copy_removed(launch):
    code, err, left = launch([(30, 0), (0.5, 1)])
    assert code == 1 and "worker 1 failed: error: something specific went wrong" in err
    log_dir = next(name for name in left if name.startswith("dlterm-launch-"))
    assert "logs in " in err and log_dir in err
    assert not [name for name in left if name.startswith("dlterm-worker-")]


def test_a_successful_launch_leaves_nothing_behind(launch):
    code, err, left = launch([(0.2, 0), (0.2, 0)])
    assert code == 0 and err == "" and left == []
