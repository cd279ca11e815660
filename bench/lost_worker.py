"""Benchmark: how long the chief takes to stop after a worker of a cluster run is killed.

    python bench/lost_worker.py [RUNS]

Two `dlterm train cnn --strategy multiworker` processes on 127.0.0.1 find each other the
way the pods of a Kubernetes Indexed Job do (JOB_COMPLETION_INDEX, DLTERM_WORKER_HOSTS);
after the chief's first checkpoint worker 1 gets SIGKILL, and the chief's exit is timed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import save

from dlterm.launch import free_ports

ARGS = ["train", "cnn", "--epochs", "40", "--json", "--strategy", "multiworker", "--no-early-stopping",
        "--set", "data.samples=200", "--set", "filters=4", "--set", "blocks=2"]


def one_run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        hosts = ",".join(f"127.0.0.1:{p}" for p in free_ports(2))
        env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
        env.update(DLTERM_HOME=str(Path(tmp) / "models"), DLTERM_WORKER_HOSTS=hosts)
        procs = [subprocess.Popen([sys.executable, "-m", "dlterm", *ARGS], env={**env, "JOB_COMPLETION_INDEX": str(i)},
                                  stdout=subprocess.PIPE if i == 0 else subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  text=True, stdin=subprocess.DEVNULL) for i in range(2)]
        try:
            for line in procs[0].stdout:
                if json.loads(line)["event"] == "checkpoint":
                    procs[1].send_signal(signal.SIGKILL)
                    killed = time.perf_counter()
                    break
            rest = procs[0].communicate(timeout=600)[0].splitlines()
            stopped = time.perf_counter() - killed
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                p.wait()
        summary = json.loads(rest[-1])
        return {"seconds_to_stop": round(stopped, 1), "exit_code": procs[0].returncode, "error": summary.get("error")}


def main() -> None:
    runs = [one_run() for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 3)]
    save("lost_worker", {"setup": "cnn, 2 workers on 127.0.0.1 (Indexed Job variables), worker 1 killed after epoch 1",
                         "runs": runs})


if __name__ == "__main__":
    main()
