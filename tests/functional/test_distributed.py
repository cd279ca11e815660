"""Multi-worker training with tf.distribute: two CPU workers on localhost."""

import json
import subprocess
import sys

import pytest

from dlterm.runstore import RunStore
from tests.conftest import run_cli

pytestmark = pytest.mark.slow
TINY = ["--set", "data.samples=400", "--set", "filters=4", "--set", "blocks=2", "--no-early-stopping"]


def launch(env, *args, workers=2):
    return subprocess.run([sys.executable, "-m", "dlterm", "launch", "--workers", str(workers), "--json", "--", *args],
                          env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)


def test_two_workers_train_one_run_then_resume(env):
    result = launch(env, "train", "cnn", "--epochs", "2", *TINY)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    start = next(e for e in events if e["event"] == "run_start")
    assert start["strategy"] == "multiworker" and start["replicas"] == 2  # both workers joined
    losses = [e["metrics"]["loss"] for e in events if e["event"] == "epoch_end"]
    assert len(losses) == 2 and losses[1] < losses[0]
    assert events[-1]["status"] == "completed"
    runs = RunStore(env["DLTERM_HOME"]).runs()
    assert [r.id for r in runs] == [events[-1]["run_id"]]  # only the chief wrote the store
    assert json.loads(run_cli(["evaluate", runs[0].id, "--json"], env).stdout)["samples"] == 60  # the model loads
    resumed = launch(env, "train", "--resume", runs[0].id, "--epochs", "3")
    assert resumed.returncode == 0, resumed.stderr
    last = json.loads(resumed.stdout.splitlines()[-1])
    assert last["status"] == "completed" and last["epochs_completed"] == 3
    assert [row["epoch"] for row in RunStore(env["DLTERM_HOME"]).get(runs[0].id).history()] == [1, 2, 3]


def test_multiworker_without_tf_config_is_a_clear_error(env):
    result = run_cli(["train", "cnn", "--strategy", "multiworker"], env)
    assert result.returncode == 2 and "found no cluster" in result.stderr and "--emit k8s|slurm" in result.stderr
    assert "dlterm launch --workers 2" in result.stderr and "Traceback" not in result.stderr


def test_a_failing_worker_stops_the_launch(env):
    result = launch(env, "train", "nosuch")
    assert result.returncode == 2 and "unknown plugin 'nosuch'" in result.stderr
    assert "Traceback" not in result.stderr
