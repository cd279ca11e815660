"""``dlterm launch``: N training workers on this machine, wired with ``TF_CONFIG``.

For trying multi-worker training and for tests; on a real cluster, set TF_CONFIG with
your launcher and run ``dlterm train --strategy multiworker`` on every host.
"""

from __future__ import annotations

import json
import os
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
    logs = Path(tempfile.mkdtemp(prefix="dlterm-launch-"))
    procs = []
    for i in range(workers):
        out = subprocess.PIPE if i == 0 else open(logs / f"worker-{i}.log", "w")
        err = None if i == 0 else open(logs / f"worker-{i}.err", "w")  # the chief speaks to the user
        procs.append(subprocess.Popen([sys.executable, "-m", "dlterm", *args], env=worker_env(ports, i),
                                      stdout=out, stderr=err, text=True, stdin=subprocess.DEVNULL))
    failed = threading.Event()

    def watch_workers() -> None:
        # One worker dying leaves the others waiting in collectives forever: stop them all.
        while not failed.is_set() and any(p.poll() is None for p in procs):
            if any(p.poll() not in (None, 0) for p in procs):
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
        return 130
    failed.set()
    bad = [i for i, p in enumerate(procs[1:], start=1) if p.returncode not in (0, None)]
    # A worker that fails first (bad input is seen by every worker) gets the chief killed:
    # then the worker's code and message stand for the launch.
    chief_killed = code < 0 and bool(bad)
    if chief_killed:
        code = procs[bad[0]].returncode if procs[bad[0]].returncode > 0 else 1
    if bad and code == 0:
        code = 1
    if bad and (code != 2 or chief_killed):  # bad input: a live chief already said what is wrong
        first = bad[0]
        err = (logs / f"worker-{first}.err").read_text(errors="replace").strip().splitlines()
        reason = next((line for line in reversed(err) if line.strip()), f"exit code {procs[first].returncode}")
        print(f"error: worker {first} failed: {reason} — all workers were stopped; logs in {logs}", file=sys.stderr)
    return code
