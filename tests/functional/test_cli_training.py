"""The real `dlterm` process: JSON events, runs/show/evaluate, kill -9 and Ctrl+C."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import run_cli_here as run_cli

pytestmark = pytest.mark.slow
SMALL = ["--set", "data.samples=300", "--set", "filters=4", "--set", "blocks=2"]


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_train_json_then_runs_show_evaluate(env):
    result = run_cli(["train", "cnn", "--epochs", "2", "--json", *SMALL], env)
    assert result.returncode == 0, result.stderr
    events = json_lines(result.stdout)
    assert len(events) == len(result.stdout.splitlines())  # stdout is nothing but events
    summary = events[-1]
    assert summary["event"] == "summary" and summary["status"] == "completed"
    assert os.path.isdir(summary["run_dir"]) and summary["run_id"] in summary["run_dir"]
    runs = json.loads(run_cli(["runs", "--json"], env).stdout)
    assert [r["id"] for r in runs] == [summary["run_id"]] and runs[0]["status"] == "completed"
    show = run_cli(["show", summary["run_id"][:8]], env)
    assert show.returncode == 0 and "val_accuracy" in show.stdout and "→" in show.stdout
    ev = run_cli(["evaluate", "latest", "--json"], env)
    assert ev.returncode == 0, ev.stderr
    result = json.loads(ev.stdout)
    assert 0 <= result["metrics"]["accuracy"] <= 1 and len(result["confusion_matrix"]) == 4


def start_training(env, *args):
    return subprocess.Popen([sys.executable, "-m", "dlterm", "train", "--json", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)


def read_until_epoch(proc, epoch, timeout=240):
    deadline = time.time() + timeout
    events = []
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        event = json.loads(line)
        events.append(event)
        if event["event"] == "epoch_end" and event["epoch"] >= epoch:
            return events
    raise AssertionError(f"no epoch {epoch} in time; stderr: {proc.stderr.read()}")


def test_kill_9_then_resume_finishes_the_run(env):
    proc = start_training(env, "lstm", "--epochs", "5", "--no-early-stopping", "--set", "data.length=400",
                          "--set", "units=8", "--set", "layers=1")
    events = read_until_epoch(proc, 2)
    run_id = events[0]["run_id"]
    proc.kill()
    proc.wait()
    runs = {r["id"]: r for r in json.loads(run_cli(["runs", "--json"], env).stdout)}
    assert runs[run_id]["status"] == "interrupted" and runs[run_id]["epochs_completed"] >= 2
    resumed = run_cli(["train", "--resume", run_id, "--json"], env)
    assert resumed.returncode == 0, resumed.stderr
    events = json_lines(resumed.stdout)
    assert events[0]["event"] == "run_created" and events[0]["resumed"] is True
    assert events[-1]["status"] == "completed" and events[-1]["epochs_completed"] == 5
    epochs = [e["epoch"] for e in events if e["event"] == "epoch_end"]
    assert epochs[0] == runs[run_id]["epochs_completed"] + 1 and epochs[-1] == 5
    show = json.loads(run_cli(["show", run_id, "--json"], env).stdout)
    assert [row["epoch"] for row in show["history"]] == [1, 2, 3, 4, 5]


def test_ctrl_c_stops_after_the_batch_and_leaves_a_resumable_run(env):
    proc = start_training(env, "cnn", "--epochs", "50", "--no-early-stopping", *SMALL)
    read_until_epoch(proc, 1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    events = json_lines(out)
    assert events[-1]["event"] == "summary" and events[-1]["status"] == "interrupted"
    assert any(e["event"] == "interrupted" and e["reason"] == "SIGINT" for e in events)
    assert "Traceback" not in err
    run = json.loads(run_cli(["show", events[-1]["run_id"], "--json"], env).stdout)
    assert run["status"] == "interrupted" and run["epochs_completed"] == len(run["history"]) >= 1


@pytest.mark.parametrize("args, message", [
    (["train", "nosuch"], "unknown plugin 'nosuch'"),
    (["train", "cnn", "--dataset", "nosuch"], "unknown dataset 'nosuch'"),
    (["train", "cnn", "--dataset", "seasonal"], "is for sequence-forecasting"),
    (["train", "cnn", "--set", "filters=lots"], "invalid hyperparameter filters"),
    (["train", "cnn", "--set", "colour=red"], "unknown setting 'colour'"),
    (["train", "cnn", "--epochs", "0"], "below the minimum 1"),
    (["train", "cnn", "--optimizer", "lion"], "not one of adam"),
    (["train", "cnn", "--config", "missing.toml"], "config file not found"),
    (["train", "lstm", "--data", "missing.csv"], "--data path not found"),
    (["train", "cnn", "--data", "missing_folder"], "--data path not found"),
    (["train", "cnn", "--resume", "nosuch"], "unknown run 'nosuch'"),
    (["show", "../../etc"], "not a valid run id"),
    (["evaluate", "latest"], "there are no runs yet"),
    (["plugins", "show", "nosuch"], "unknown plugin"),
])
def test_bad_input_is_one_clear_line_and_exit_2(env, args, message):
    result = run_cli(args, env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(env):
    result = run_cli(["--debug", "train", "nosuch"], env)
    assert result.returncode != 0 and "Traceback" in result.stderr


@pytest.mark.parametrize("task, data", [
    ("image-classification", "data.samples=200"), ("sequence-forecasting", "data.length=200"),
    ("text-classification", "data.samples=200"), ("text-generation", "data.length=8000"),
])
def test_each_new_plugin_skeleton_trains_as_written(env, task, data):
    """`dlterm new-plugin --task T` gives a file that trains on T's default data unedited."""
    name = "mine_" + task.split("-")[0]
    assert run_cli(["new-plugin", name, "--task", task], env).returncode == 0
    result = run_cli(["train", name, "--epochs", "1", "--set", data, "--json"], env)
    assert result.returncode == 0, result.stderr
    events = json_lines(result.stdout)
    assert events[-1]["status"] == "completed" and any(e["event"] == "evaluated" and "metrics" in e for e in events)


def test_no_skeleton_for_seq2seq_points_to_the_builtin(env):
    result = run_cli(["new-plugin", "mine", "--task", "sequence-to-sequence"], env)
    assert result.returncode == 2 and "copy the builtin plugins/seq2seq.py" in result.stderr
