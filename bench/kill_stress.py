"""Stress: kill -9 training at random moments; every run must stay readable and resumable.

    python bench/kill_stress.py [--kills 20] [--seed 0]

Each round starts `dlterm train`, kills it after a random delay within the time one
uninterrupted run takes here (start-up, mid-epoch, while a checkpoint or the final
evaluation is written), then checks: `dlterm runs` reads the store, the run shows
as interrupted, its last checkpoint loads (`evaluate --checkpoint last`), and
`train --resume` finishes it. Rounds killed before the first epoch must say there is
nothing to resume.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import save

TRAIN = ["train", "cnn", "--epochs", "6", "--no-early-stopping", "--set", "data.samples=1200", "--json"]


def cli(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dlterm", *args], env=env, capture_output=True, text=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DLTERM_HOME=str(Path(tmp) / "models"))
        # Kill moments spread over one uninterrupted run's duration on this machine now
        # (a fixed range would mostly kill finished runs on a fast, idle machine).
        t0 = time.perf_counter()
        assert cli(TRAIN, env).returncode == 0
        full = time.perf_counter() - t0
        for i in range(args.kills):
            delay = rng.uniform(1.0, 0.95 * full)
            before = {r["id"] for r in json.loads(cli(["runs", "--json"], env).stdout or "[]")}
            proc = subprocess.Popen([sys.executable, "-m", "dlterm", *TRAIN], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay)
            proc.kill()
            proc.wait()
            listing = cli(["runs", "--json"], env)
            assert listing.returncode == 0, listing.stderr
            new = [r for r in json.loads(listing.stdout) if r["id"] not in before]
            row = {"round": i + 1, "killed_after_s": round(delay, 2)}
            if not new:
                row["outcome"] = "killed before the run folder existed"
            else:
                run = new[0]
                row.update(status_after_kill=run["status"], epochs_at_kill=run["epochs_completed"])
                assert run["status"] in ("interrupted", "completed"), run
                if run["status"] == "completed":
                    row["outcome"] = "finished before the kill"
                elif run["epochs_completed"] == 0:
                    resume = cli(["train", "--resume", run["id"]], env)
                    assert resume.returncode == 2 and "no completed epoch" in resume.stderr, resume.stderr
                    row["outcome"] = "no epoch yet: resume refused clearly"
                else:
                    last = cli(["evaluate", run["id"], "--checkpoint", "last", "--json"], env)
                    assert last.returncode == 0, last.stderr
                    resume = cli(["train", "--resume", run["id"], "--json"], env)
                    assert resume.returncode == 0, resume.stderr
                    summary = json.loads(resume.stdout.splitlines()[-1])
                    assert summary["status"] == "completed" and summary["epochs_completed"] == 6, summary
                    final = cli(["evaluate", run["id"], "--checkpoint", "final", "--json"], env)
                    assert final.returncode == 0, final.stderr
                    row["outcome"] = "resumed to completion"
                    row["final_test_accuracy"] = json.loads(final.stdout)["metrics"]["accuracy"]
            print(row, flush=True)
            rows.append(row)
    outcomes = {}
    for r in rows:
        outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    save("kill_stress", {"kills": args.kills, "uninterrupted_run_seconds": round(full, 1), "outcomes": outcomes, "rounds": rows})


if __name__ == "__main__":
    main()
