"""``dlterm launch``: N training workers on this machine, wired with ``TF_CONFIG``.

For trying multi-worker training and for tests; on a real cluster, set TF_CONFIG with
your launcher and run ``dlterm train --strategy multiworker`` on every host.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

from dlterm.errors import DltermError
from dlterm.events import parse_event_line


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def worker_env(ports: list[int], index: int) -> dict[str, str]:
    config = {"cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]}, "task": {"type": "worker", "index": index}}
    return {**os.environ, "TF_CONFIG": json.dumps(config)}


def launch_local(train_args: list[str], workers: int, show: Callable[[dict[str, Any]], None]) -> int:
    """Run ``dlterm train`` in ``workers`` processes; return the chief's exit code.

    ``show`` receives the chief's events (the CLI passes its progress display or a JSON
    lines printer), so this service knows nothing of how they are shown."""
    if not train_args or train_args[0] != "train":
        raise DltermError("launch runs a training command", "write it after --: dlterm launch --workers 2 -- train cnn")
    args = list(train_args)
    if "--strategy" not in args:
        args += ["--strategy", "multiworker"]
    if "--json" not in args:
        args.append("--json")
    ports = free_ports(workers)
    # One folder for the workers' logs and their private run copies, removed however the
    # workers end (a killed worker can not clean up after itself).
    logs = Path(tempfile.mkdtemp(prefix="dlterm-launch-"))
    try:
        code, kept = _run_workers(args, workers, ports, logs, show)
    finally:
        for copy in logs.glob("dlterm-worker-*"):
            shutil.rmtree(copy, ignore_errors=True)
    if not kept:
        shutil.rmtree(logs, ignore_errors=True)
    return code


def _run_workers(args: list[str], workers: int, ports: list[int], logs: Path,
                 show: Callable[[dict[str, Any]], None]) -> tuple[int, bool]:
    """Run the workers; returns the launch's exit code and whether the logs are worth keeping."""
    procs = []
    for i in range(workers):
        out = subprocess.PIPE if i == 0 else open(logs / f"worker-{i}.log", "w")
        err = None if i == 0 else open(logs / f"worker-{i}.err", "w")  # the chief speaks to the user
        env = {**worker_env(ports, i), "DLTERM_WORKER_TMP": str(logs)}
        procs.append(subprocess.Popen([sys.executable, "-m", "dlterm", *args], env=env,
                                      stdout=out, stderr=err, text=True, stdin=subprocess.DEVNULL))
    failed = threading.Event()
    first_failure: list[int] = []  # the worker that failed first; the others were stopped by us

    def watch_workers() -> None:
        # One worker dying leaves the others waiting in collectives forever: stop them all.
        while not failed.is_set() and any(p.poll() is None for p in procs):
            dead = [i for i, p in enumerate(procs) if p.poll() not in (None, 0)]
            if dead:
                first_failure.append(dead[0])
                failed.set()
                for p in procs:
                    if p.poll() is None:
                        p.kill()
            time.sleep(0.2)

    watcher = threading.Thread(target=watch_workers, daemon=True)
    watcher.start()
    try:
        assert procs[0].stdout is not None
        for line in procs[0].stdout:
            event = parse_event_line(line)
            if event is not None:
                show(event)
        code = procs[0].wait()
        for p in procs[1:]:
            p.wait(timeout=120)
    except KeyboardInterrupt:
        # Workers stopping at different batches would hang in their collectives; stop them
        # all at once instead. The run is left interrupted, resumable from its last epoch.
        failed.set()
        for p in procs:
            if p.poll() is None:
                p.kill()
        for p in procs:
            p.wait()
        print(f"stopped all {workers} workers; resume with: dlterm launch --workers {workers} -- train --resume RUN",
              file=sys.stderr)
        return 130, False
    failed.set()
    watcher.join(timeout=1)
    if first_failure:
        first = first_failure[0]
    else:  # every worker ended before the watcher looked: the lowest failed index
        first = next((i for i, p in enumerate(procs) if p.returncode not in (0, None)), None)
    if first is None:
        return code, False
    if first == 0:
        # The chief failed first; the workers were stopped by this launcher, not at fault.
        if code > 0:
            return code, False  # the chief already said why on stderr
        print(f"error: the chief (worker 0) was killed by {_signal_name(-code)} — all workers were stopped; "
              f"resume with: dlterm launch --workers {workers} -- train --resume RUN", file=sys.stderr)
        return 1, False
    # A worker failed first (bad input is seen by every worker) and got the chief stopped:
    # then that worker's code and message stand for the launch.
    worker_code = procs[first].returncode
    if code == 2 and code == worker_code:
        return code, False  # bad input: a live chief already said what is wrong
    err = (logs / f"worker-{first}.err").read_text(errors="replace").strip().splitlines()
    reason = next((line for line in reversed(err) if line.strip()),
                  f"killed by {_signal_name(-worker_code)}" if worker_code < 0 else f"exit code {worker_code}")
    print(f"error: worker {first} failed: {reason} — all workers were stopped; logs in {logs}", file=sys.stderr)
    return (worker_code if worker_code > 0 else 1), True


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
