"""Stress: kill -9 training and export at every file-write boundary, and at random moments;
every run must stay readable and resumable, and nothing may be lost or left behind.

    python bench/kill_stress.py [--kills 20] [--seed 0] [--epochs 3] [--boundaries training,export]

Boundaries (see bench/kill_points.py): each training boundary (checkpoint written before
run.json; half-way through history.csv; half-way through run.json; run.json written
before the checkpoints are promoted) is hit in every epoch of a run, each export boundary
(half-way through an exported file; files landed before exports.json) for each export
step (ONNX, then TFLite). After each kill: `dlterm runs` reads the store with the run `interrupted` (never
damaged); a run with a recorded epoch evaluates its last checkpoint and resumes to
completion with each epoch exactly once in history.csv and in the events, leaving no
temporary or pending file; a run with none refuses to resume clearly. A killed export is
followed by a complete export whose files all load and whose record is readable.

Then ``--kills`` rounds kill training at random moments within one run's duration.
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

BENCH = Path(__file__).resolve().parent
TRAINING_POINTS = ("checkpoint-written", "during-history", "during-run-json", "after-run-json")
EXPORT_POINTS = ("during-export", "export-landed")


def train_args(epochs: int) -> list[str]:
    return ["train", "cnn", "--epochs", str(epochs), "--no-early-stopping", "--set", "data.samples=400",
            "--set", "filters=4", "--set", "blocks=2", "--json"]


def cli(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dlterm", *args], env=env, capture_output=True, text=True)


def killed_at(point: str, nth: int, args: list[str], env: dict) -> int:
    """Run dlterm with a kill armed at the nth ``point``; return its exit code (-9 if it died there)."""
    armed = {**env, "DLTERM_KILL_AT": point, "DLTERM_KILL_NTH": str(nth)}
    return subprocess.run([sys.executable, str(BENCH / "kill_points.py"), *args], env=armed,
                          capture_output=True, text=True).returncode


def listing(env: dict) -> dict[str, dict]:
    result = cli(["runs", "--json"], env)
    assert result.returncode == 0, result.stderr
    return {r["id"]: r for r in json.loads(result.stdout)}


def leftovers(run_dir: Path) -> list[str]:
    return sorted(p.name for p in [*run_dir.iterdir(), *(run_dir / "exports").glob("*")]
                  if p.name.startswith(".tmp-") or ".epoch-" in p.name)


def check_resumes(run: dict, epochs: int, env: dict) -> dict:
    """The checks every killed training gets; returns the round's outcome."""
    assert run["status"] == "interrupted", run
    if run["epochs_completed"] == 0:
        resume = cli(["train", "--resume", run["id"]], env)
        assert resume.returncode == 2 and "no completed epoch" in resume.stderr, resume.stderr
        return {"outcome": "no epoch recorded: resume refused clearly"}
    last = cli(["evaluate", run["id"], "--checkpoint", "last", "--json"], env)
    assert last.returncode == 0, last.stderr
    resume = cli(["train", "--resume", run["id"], "--json"], env)
    assert resume.returncode == 0, resume.stderr
    summary = json.loads(resume.stdout.splitlines()[-1])
    assert summary["status"] == "completed" and summary["epochs_completed"] == epochs, summary
    run_dir = Path(run["run_dir"])
    history = [int(float(line.split(",")[0])) for line in (run_dir / "history.csv").read_text().splitlines()[1:]]
    assert history == list(range(1, epochs + 1)), history
    ends = [json.loads(line)["epoch"] for line in (run_dir / "events.jsonl").read_text().splitlines()
            if '"epoch_end"' in line]
    # Each epoch's event at most once, every epoch trained after the kill announced. (The
    # event follows the commit, so a kill right after run.json loses that one event.)
    assert len(ends) == len(set(ends)) and set(range(run["epochs_completed"] + 1, epochs + 1)) <= set(ends), ends
    assert not leftovers(run_dir), leftovers(run_dir)
    final = cli(["evaluate", run["id"], "--checkpoint", "final", "--json"], env)
    assert final.returncode == 0, final.stderr
    return {"outcome": "resumed to completion", "final_test_accuracy": json.loads(final.stdout)["metrics"]["accuracy"]}


def boundary_rounds(env: dict, epochs: int, kinds: set[str]) -> list[dict]:
    rows = []
    for point in TRAINING_POINTS if "training" in kinds else ():
        for nth in range(1, epochs + 1):
            before = set(listing(env))
            code = killed_at(point, nth, train_args(epochs), env)
            assert code == -9, f"{point} #{nth} was not reached (exit {code})"
            new = [r for i, r in listing(env).items() if i not in before]
            assert len(new) == 1 and new[0]["epochs_completed"] in (nth - 1, nth), new
            row = {"point": point, "epoch": nth, "epochs_recorded": new[0]["epochs_completed"], **check_resumes(new[0], epochs, env)}
            print(row, flush=True)
            rows.append(row)
    if "export" not in kinds:
        return rows
    # Export: one finished run, killed at every export step (ONNX, then each TFLite variant).
    trained = cli(train_args(1), env)
    assert trained.returncode == 0, trained.stderr
    run_id = json.loads(trained.stdout.splitlines()[-1])["run_id"]
    run_dir = Path(env["DLTERM_HOME"]) / run_id
    export = ["export", run_id, "--format", "all"]
    for point in EXPORT_POINTS:
        for nth in (1, 2):  # onnx, then tflite
            code = killed_at(point, nth, export, env)
            assert code == -9, f"{point} #{nth} was not reached (exit {code})"
            assert listing(env)[run_id]["status"] == "completed"
            records = cli(["show", run_id, "--json"], env)
            assert records.returncode == 0, records.stderr
            again = cli([*export, "--json"], env)
            assert again.returncode == 0, again.stderr
            results = json.loads(again.stdout)
            assert len(results) == 2 and all(r["verified"] for r in results), results
            assert not leftovers(run_dir), leftovers(run_dir)
            from dlterm_edge import load

            for r in results:
                load(r["path"])  # every landed file loads
            row = {"point": point, "export_step": nth, "outcome": "export redone: 2 verified files, nothing left over"}
            print(row, flush=True)
            rows.append(row)
    return rows


def random_rounds(env: dict, kills: int, seed: int) -> tuple[list[dict], float]:
    rng = random.Random(seed)
    args = train_args(6)
    # Kill moments spread over one uninterrupted run's duration on this machine now.
    t0 = time.perf_counter()
    assert cli(args, env).returncode == 0
    full = time.perf_counter() - t0
    rows = []
    for i in range(kills):
        delay = rng.uniform(1.0, 0.95 * full)
        before = set(listing(env))
        proc = subprocess.Popen([sys.executable, "-m", "dlterm", *args], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.kill()
        proc.wait()
        new = [r for i_, r in listing(env).items() if i_ not in before]
        row = {"round": i + 1, "killed_after_s": round(delay, 2)}
        if not new:
            row["outcome"] = "killed before the run folder existed"
        elif new[0]["status"] == "completed":
            row["outcome"] = "finished before the kill"
        else:
            row.update(epochs_at_kill=new[0]["epochs_completed"], **check_resumes(new[0], 6, env))
        print(row, flush=True)
        rows.append(row)
    return rows, full


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=20, help="random-moment rounds after the boundary rounds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run in the boundary rounds")
    parser.add_argument("--boundaries", default="training,export", help="which boundary rounds: training, export or both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DLTERM_HOME=str(Path(tmp) / "models"))
        t0 = time.perf_counter()
        boundaries = boundary_rounds(env, args.epochs, set(args.boundaries.split(",")))
        randoms, full = random_rounds(env, args.kills, args.seed) if args.kills else ([], None)
        assert all(r["status"] != "damaged" for r in listing(env).values())
    outcomes: dict[str, int] = {}
    for r in boundaries + randoms:
        outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    save("kill_stress", {"boundary_kills": len(boundaries), "random_kills": args.kills, "epochs": args.epochs,
                         "uninterrupted_run_seconds": round(full, 1) if full else None, "outcomes": outcomes,
                         "seconds": round(time.perf_counter() - t0), "boundary_rounds": boundaries, "random_rounds": randoms})


if __name__ == "__main__":
    main()
