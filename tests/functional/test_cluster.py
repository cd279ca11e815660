"""Cluster discovery end to end: two local `dlterm train --strategy multiworker` processes that
see only what a Kubernetes Indexed Job or a Slurm step gives them (no TF_CONFIG), and a
worker lost mid-run."""

import json
import signal
import socket
import subprocess
import sys

import pytest

from dlterm.launch import free_ports
from dlterm.runstore import RunStore
from tests.conftest import run_cli

pytestmark = pytest.mark.slow
TINY = ["--set", "data.samples=200", "--set", "filters=4", "--set", "blocks=2", "--no-early-stopping"]
SCHEDULER_VARIABLES = ("TF_CONFIG", "JOB_COMPLETION_INDEX", "DLTERM_WORKER_HOSTS", "DLTERM_PORT_BASE", "CUDA_VISIBLE_DEVICES")


def start_workers(env, tmp_path, per_worker, args):
    """One `dlterm train --json` per entry of per_worker (extra variables); the chief's stdout is a pipe."""
    base = {k: v for k, v in env.items() if k not in SCHEDULER_VARIABLES and not k.startswith("SLURM_")}
    procs = []
    for i, extra in enumerate(per_worker):
        out = subprocess.PIPE if i == 0 else open(tmp_path / f"worker-{i}.out", "w")
        procs.append(subprocess.Popen([sys.executable, "-m", "dlterm", "train", *args, "--json"], env={**base, **extra},
                                      stdout=out, stderr=open(tmp_path / f"worker-{i}.err", "w"), text=True,
                                      stdin=subprocess.DEVNULL))
    return procs


def stop_all(procs):
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()


def finish(procs, timeout=240):
    try:
        out = procs[0].communicate(timeout=timeout)[0]
        for p in procs[1:]:
            p.wait(timeout=60)
    finally:
        stop_all(procs)
    return [json.loads(line) for line in out.splitlines()]


def indexed_job(workers):
    hosts = ",".join(f"127.0.0.1:{p}" for p in free_ports(workers))
    return [{"JOB_COMPLETION_INDEX": str(i), "DLTERM_WORKER_HOSTS": hosts} for i in range(workers)]


def free_port_pair():
    """A free port whose successor is free too: SlurmClusterResolver gives the tasks of a node
    consecutive ports from DLTERM_PORT_BASE."""
    for _ in range(50):
        base = free_ports(1)[0]
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", base + 1))
                return base
            except OSError:
                continue
    pytest.skip("no two consecutive free ports")


def assert_one_completed_run(env, events, tmp_path):
    start = next(e for e in events if e["event"] == "run_start")
    assert start["strategy"] == "multiworker" and start["replicas"] == 2  # both workers joined
    assert events[-1]["event"] == "summary" and events[-1]["status"] == "completed"
    runs = RunStore(env["DLTERM_HOME"]).runs()
    assert [r.id for r in runs] == [events[-1]["run_id"]] and runs[0].status == "completed"  # only the chief wrote
    assert (tmp_path / "worker-1.out").read_text() == ""  # the other worker stays silent


def test_indexed_job_workers_find_each_other_and_train_one_run(env, tmp_path):
    procs = start_workers(env, tmp_path, indexed_job(2), ["cnn", "--epochs", "2", *TINY, "--strategy", "multiworker"])
    events = finish(procs)
    assert [p.returncode for p in procs] == [0, 0], (tmp_path / "worker-1.err").read_text()[-2000:]
    assert_one_completed_run(env, events, tmp_path)
    assert "kubernetes cluster, worker 1 of 2 workers" in (tmp_path / "worker-1.err").read_text()


def test_slurm_step_workers_find_each_other_and_train_one_run(env, tmp_path):
    base = free_port_pair()
    step = {"SLURM_JOB_ID": "4242", "SLURM_STEP_ID": "0", "SLURM_NTASKS": "2", "SLURM_STEP_NUM_TASKS": "2",
            "SLURM_JOB_NODELIST": "localhost", "SLURM_STEP_NODELIST": "localhost", "SLURM_NNODES": "1",
            "SLURM_TASKS_PER_NODE": "2", "SLURM_STEP_TASKS_PER_NODE": "2", "SLURM_NODEID": "0", "SLURMD_NODENAME": "localhost",
            "DLTERM_PORT_BASE": str(base)}  # what srun -n 2 sets on one node, plus the recipe's port
    tasks = [{**step, "SLURM_PROCID": str(i), "SLURM_LOCALID": str(i)} for i in range(2)]
    procs = start_workers(env, tmp_path, tasks, ["cnn", "--epochs", "1", *TINY, "--strategy", "multiworker"])
    events = finish(procs)
    assert [p.returncode for p in procs] == [0, 0], (tmp_path / "worker-1.err").read_text()[-2000:]
    assert_one_completed_run(env, events, tmp_path)
    # SlurmClusterResolver's cluster: task i of the node listens on DLTERM_PORT_BASE + i
    assert f"slurm cluster, worker 1 of 2 workers: localhost:{base},localhost:{base + 1}" in (tmp_path / "worker-1.err").read_text()


def test_a_lost_worker_stops_the_chief_clearly_and_the_run_resumes(env, tmp_path):
    procs = start_workers(env, tmp_path, indexed_job(2), ["cnn", "--epochs", "40", *TINY, "--strategy", "multiworker"])
    events = []
    try:
        for line in procs[0].stdout:
            events.append(json.loads(line))
            if events[-1]["event"] == "checkpoint":  # an epoch is safely on disk: now lose worker 1
                procs[1].send_signal(signal.SIGKILL)
                break
        assert procs[1].wait(timeout=10) == -signal.SIGKILL
        events += [json.loads(line) for line in procs[0].communicate(timeout=180)[0].splitlines()]
    finally:
        stop_all(procs)
    assert procs[0].returncode == 1  # the chief stopped by itself (TensorFlow's heartbeats), it did not hang
    summary = events[-1]
    run = RunStore(env["DLTERM_HOME"]).get(summary["run_id"])
    done = run.meta["epochs_completed"]
    assert summary["status"] == "failed" and 1 <= done < 40
    assert summary["error"] == f"worker 1 of the cluster was lost (stopped answering: crashed, killed or preempted); training stopped after epoch {done}"
    assert f"train --resume {run.id}" in summary["hint"]
    assert run.status == "failed" and run.file("last.keras").is_file()
    # What the hint says: the run continues from its last complete epoch (here on one machine).
    resumed = run_cli(["train", "--resume", run.id, "--epochs", str(done + 1), "--strategy", "default", "--json"], env)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    last = json.loads(resumed.stdout.splitlines()[-1])
    assert last["status"] == "completed" and last["epochs_completed"] == done + 1
    assert [row["epoch"] for row in RunStore(env["DLTERM_HOME"]).get(run.id).history()] == list(range(1, done + 2))
