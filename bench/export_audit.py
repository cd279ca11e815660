"""Benchmark: every builtin plugin x every export variant, on real data, with bounded training.

    nice -n 10 python bench/export_audit.py [--minutes 3] [--only cnn,lstm]

Each plugin trains on its real benchmark data for at most ``--minutes`` (``max_minutes``),
then ``dlterm export RUN --format all --quantize all --json`` exports and verifies every
variant (exit 1 when one failed: the failure is part of the table) and ``dlterm bench``
times the verified ones. Writes bench/results/export_audit.json and prints the README table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from common import SHARED, build_mnist_npz, dlterm, save
from text_classification import polarity_csv


def trainings(tmp: Path) -> dict[str, list[str]]:
    airline = ["--data", str(SHARED / "airline-passengers.csv"), "--window", "12"]
    return {
        "cnn": ["--dataset", "mnist"],
        "lenet5": ["--dataset", "mnist"],
        "mobilenet": ["--data", str(SHARED / "hymenoptera_data"), "--image-size", "96", "--weights", "none"],
        "lstm": airline,
        "gru": airline,
        "simplernn": airline,
        "bilstm": ["--data", str(polarity_csv(tmp)), "--set", "data.max_length=50"],
        "seq2seq": ["--data", str(SHARED / "fra.txt"), "--set", "data.limit=10000"],
        "charlstm": ["--data", str(SHARED / "tinyshakespeare_input.txt"), "--set", "data.length=300000"],
    }


def run_json(args: list[str], env: dict[str, str]) -> tuple[int, object, str]:
    proc = subprocess.run([sys.executable, "-m", "dlterm", *args, "--json"], env=env, capture_output=True, text=True)
    try:
        return proc.returncode, json.loads(proc.stdout), proc.stderr
    except ValueError:
        return proc.returncode, None, proc.stderr


def audit(plugin: str, args: list[str], minutes: float, env: dict[str, str]) -> dict:
    events, wall = dlterm(["train", plugin, *args, "--set", f"max_minutes={minutes}"], env)
    run_id = events[-1]["run_id"]
    code, exports, stderr = run_json(["export", run_id, "--format", "all", "--quantize", "all"], env)
    _, bench, _ = run_json(["bench", run_id, "--repeats", "50"], env)
    timing = {r["variant"]: r for r in bench or []}
    out = {"plugin": plugin, "run_id": run_id, "train_args": args, "epochs": events[-1].get("epochs_completed"),
           "train_seconds": round(wall, 1), "export_exit": code, "export_stderr": stderr.strip()[-2000:], "variants": []}
    for r in exports or []:
        label = "onnx (fp32)" if (r["format"], r["quantize"]) == ("onnx", "none") else f"{r['format']} ({r['quantize']})"
        t = timing.get(label, {})
        out["variants"].append({"variant": label, "verified": r.get("verified"), "reason": r.get("reason"),
                                "max_abs_error": r.get("max_abs_error"), "metric": r.get("metric"),
                                "keras_metric": r.get("keras_metric"), "export_metric": r.get("export_metric"),
                                "size_bytes": r.get("size_bytes"), "latency_ms_median": t.get("latency_ms_median")})
    print(json.dumps(out), flush=True)
    return out


def table(results: list[dict]) -> str:
    lines = ["| plugin | variant | verified | max abs error | test metric keras → export (delta) | size | p50 ms |",
             "|---|---|---|---|---|---|---|"]
    for res in results:
        for v in res["variants"]:
            if v["keras_metric"] is None:
                metric = "-"
            else:
                metric = (f"{v['metric']} {v['keras_metric']:.4g} → {v['export_metric']:.4g} "
                          f"({v['export_metric'] - v['keras_metric']:+.4g})")
            error = "-" if v["max_abs_error"] is None else f"{v['max_abs_error']:.1e}"
            size = "-" if not v["size_bytes"] else f"{v['size_bytes'] / 1e6:.2f} MB"
            ms = "-" if v["latency_ms_median"] is None else f"{v['latency_ms_median']:.3f}"
            ok = "yes" if v["verified"] else f"no: {str(v['reason']).split(' (--max-loss)')[0].split(';')[0]}"
            lines.append(f"| {res['plugin']} | {v['variant']} | {ok} | {error} | {metric} | {size} | {ms} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=3.0, help="training budget per plugin (max_minutes)")
    parser.add_argument("--only", default="", help="comma-separated plugins (default: all nine)")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        build_mnist_npz(Path(tmp) / "keras")
        env = dict(os.environ, KERAS_HOME=str(Path(tmp) / "keras"), DLTERM_HOME=str(Path(tmp) / "models"))
        plans = trainings(Path(tmp))
        wanted = [p for p in opts.only.split(",") if p] or list(plans)
        results = [audit(p, plans[p], opts.minutes, env) for p in wanted]
    save("export_audit", {"minutes": opts.minutes, "results": results})
    print(table(results))


if __name__ == "__main__":
    main()
