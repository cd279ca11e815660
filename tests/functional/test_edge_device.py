"""The device runtime as users install it: the dlterm-edge wheel alone in a fresh venv
(no TensorFlow importable) runs predict, bench and info on deploy bundles of cnn, lstm,
bilstm, seq2seq and charlstm runs, with every sidecar file deleted."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow
PLUGINS = {"cnn": {"filters": 4, "blocks": 2}, "lstm": {"units": 8}, "bilstm": {"units": 8, "embedding_dim": 8},
           "seq2seq": {"units": 16, "epochs": 3}, "charlstm": {"units": 16, "layers": 1}}
SAMPLE_ROWS = 48
# What each task's raw example input looks like on the command line.
EXAMPLE_INPUTS = {"sequence-forecasting": None, "text-classification": ["what a wonderful film"],
                  "sequence-to-sequence": ["march 3, 2021"], "text-generation": ["ROMEO:"]}


def write_bundle(run, folder: Path) -> None:
    """A deploy bundle from a run's real exports, as `dlterm export --bundle` lays it out
    (see dlterm_edge.bundle); metadata embedded in each .tflite, no sidecars."""
    from dlterm import datasets
    from dlterm.export import export_run, metric_sample, rows
    from dlterm.trained_model import export_metadata, keras_predictor
    from dlterm_edge.bench import input_names
    from dlterm_edge.bundle import write_checksums
    from dlterm_edge.metadata import embed_tflite_metadata

    quantizations = ["none", "float16"] if run.meta["plugin"] == "cnn" else ["none"]
    results = export_run(run, ["onnx", "tflite"], quantizations)
    (folder / "inputs").mkdir(parents=True)
    for result in results:
        for file in map(Path, result["files"]):
            data = file.read_bytes()
            if file.suffix == ".tflite":
                sidecar = Path(str(file) + ".json")
                data = embed_tflite_metadata(data, json.loads(sidecar.read_text()))
            (folder / file.name).write_bytes(data)
    keras, parts = keras_predictor(run)
    meta = export_metadata(run, parts)
    (folder / "metadata.json").write_text(json.dumps(meta))
    if meta.get("class_names"):
        (folder / "labels.txt").write_text("\n".join(meta["class_names"]) + "\n")
    (folder / "README.md").write_text(f"# {run.id}\n\n{run.meta['task']} model exported by dlterm.\n")
    cfg = run.meta["config"]
    data = datasets.load(run.meta["dataset"], cfg["data"], cfg["training"]["seed"])
    x, y = metric_sample(data)
    x, y = rows(x, slice(0, SAMPLE_ROWS)), y[:SAMPLE_ROWS]
    arrays = {name: (x[name] if isinstance(x, dict) else x) for name in input_names(meta)}
    sample = {**arrays, "expected": keras.outputs(x), "y": y}
    if run.meta["task"] == "sequence-forecasting":
        sample["last"] = np.asarray(data.extra["last_test"][:SAMPLE_ROWS], dtype=np.float64)
    np.savez(folder / "sample.npz", **sample)
    if run.meta["task"] == "image-classification":
        from PIL import Image

        Image.fromarray((x[0, ..., 0] * 255).astype(np.uint8)).save(folder / "inputs" / "0.png")
    write_checksums(folder)


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    from dlterm.events import Emitter
    from dlterm.runstore import RunStore
    from dlterm.training.trainer import TrainRequest, train
    from tests.functional.conftest import tiny

    root = tmp_path_factory.mktemp("edge")
    out = {}
    for plugin, hp in PLUGINS.items():
        overrides = {**tiny(plugin), "epochs": 1, **hp}
        run_id = train(TrainRequest(plugin=plugin, overrides=overrides, models_dir=str(root / "models")), Emitter())["run_id"]
        run = RunStore(root / "models").get(run_id)
        write_bundle(run, root / "bundles" / plugin)
        out[plugin] = (root / "bundles" / plugin, run)
    return out


@pytest.fixture(scope="module")
def device(tmp_path_factory):
    """A fresh venv holding only the dlterm-edge wheel (+ LiteRT) and what they require."""
    root = tmp_path_factory.mktemp("device")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(root), str(REPO / "edge")], check=True, capture_output=True, timeout=300)
    (wheel,) = root.glob("dlterm_edge-0.1.0-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True, timeout=120)
    pip = subprocess.run([str(root / "venv" / "bin" / "pip"), "install", "--quiet", f"{wheel}[tflite]"],
                         capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stderr[-2000:]
    size_mb = int(subprocess.run(["du", "-sm", str(root / "venv")], capture_output=True, text=True).stdout.split()[0])
    print(f"\nfresh dlterm-edge[tflite] venv: {size_mb} MB")
    return root / "venv" / "bin", size_mb


def edge(device, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    bin_dir, _ = device
    result = subprocess.run([str(bin_dir / "dlterm-edge"), *args], capture_output=True, text=True, timeout=600,
                            stdin=subprocess.DEVNULL, cwd=bin_dir)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_the_device_venv_is_small_and_has_no_tensorflow(device):
    bin_dir, size_mb = device
    for module in ("tensorflow", "tf2onnx", "onnx", "textual", "typer", "dlterm"):
        probe = subprocess.run([str(bin_dir / "python"), "-c", f"import {module}"], capture_output=True, text=True,
                               cwd=bin_dir)  # not the repository: its dlterm/ would be importable from there
        assert probe.returncode != 0 and "ModuleNotFoundError" in probe.stderr, module
    assert size_mb < 300


@pytest.mark.parametrize("plugin", list(PLUGINS))
def test_edge_predicts_benches_and_describes_each_bundle(bundles, device, plugin, tmp_path):
    folder, run = bundles[plugin]
    assert not list(folder.glob("*.tflite.json")) and not list(folder.glob("*.onnx.json"))
    task = run.meta["task"]

    info = json.loads(edge(device, "info", str(folder), "--json").stdout)
    assert info["metadata"]["run_id"] == run.id and info["metadata"]["task"] == task
    assert info["checksums_verified"] == len((folder / "SHA256SUMS").read_text().splitlines())
    assert {v["variant"] for v in info["variants"]} >= {"onnx", "tflite"}

    bench = json.loads(edge(device, "bench", str(folder), "--json", "--repeats", "5").stdout)
    assert bench["machine"]["cpus"] and bench["runtimes"]["onnxruntime"] != "not installed"
    rows = {r["variant"]: r for r in bench["rows"]}
    assert all(r["status"] == "ok" and 0 < r["samples"] <= SAMPLE_ROWS for r in rows.values()), rows
    # The exported float32 files score what Keras scored on the same sample.
    sample = np.load(folder / "sample.npz", allow_pickle=False)
    from dlterm_edge.metrics import task_metric

    keras_metric = task_metric(task, info["metadata"]["preprocessing"], sample["y"], sample["expected"],
                               sample["last"] if "last" in sample.files else None)
    for variant in ("onnx", "tflite"):
        assert rows[variant]["metric"] == keras_metric[0]
        assert rows[variant]["metric_value"] == pytest.approx(keras_metric[1], rel=1e-3, abs=1e-4)

    # predict: the same answer from the bundle's ONNX and TFLite variants, from the real inputs.
    if task == "image-classification":
        inputs = [str(folder / "inputs" / "0.png")]
    elif task == "sequence-forecasting":
        window = info["metadata"]["preprocessing"]["window"]
        inputs = [str(v) for v in np.linspace(100, 130, window + 2).round(2)]
    else:
        inputs = EXAMPLE_INPUTS[task]
    extra = ["--temperature", "0", "--length", "20"] if task == "text-generation" else []
    answers = []
    for variant in ("onnx", "tflite"):
        result = edge(device, "predict", str(folder), *inputs, "--format", variant, "--json", *extra)
        assert "XNNPACK" not in result.stderr and result.stderr == ""
        answers.append(json.loads(result.stdout))
    strip = [[{k: v for k, v in r.items() if k not in ("probabilities", "confidence", "forecast")} for r in a] for a in answers]
    assert strip[0] == strip[1] and answers[0]
    if task == "image-classification":
        assert answers[0][0]["label"] in info["metadata"]["class_names"]

    # A single .tflite copied alone still describes itself (no sidecar, no bundle).
    alone = tmp_path / "alone"
    alone.mkdir()
    for part in (p for p in folder.glob("model*.tflite") if ".float16." not in p.name):
        shutil.copy(part, alone / part.name)
    single = json.loads(edge(device, "info", str(sorted(alone.iterdir())[0]), "--json").stdout)
    assert single["metadata"]["run_id"] == run.id


def test_a_tampered_bundle_is_refused_in_one_line(bundles, device, tmp_path):
    folder = tmp_path / "bundle"
    shutil.copytree(bundles["cnn"][0], folder)
    data = bytearray((folder / "model.onnx").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "model.onnx").write_bytes(bytes(data))
    for command in (["info", str(folder)], ["predict", str(folder), str(folder / "inputs" / "0.png")],
                    ["bench", str(folder)]):
        result = edge(device, *command, check=False)
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr.count("\n") == 1 and "model.onnx does not match its checksum" in result.stderr


def test_dlterm_predict_takes_a_bundle_and_answers_as_the_device_does(bundles, device, tmp_path):
    from tests.conftest import cli_env, run_cli

    folder = bundles["cnn"][0]
    image = str(folder / "inputs" / "0.png")
    ours = run_cli(["predict", str(folder), image, "--json"], cli_env(tmp_path))
    assert ours.returncode == 0, ours.stderr
    device_answer = json.loads(edge(device, "predict", str(folder), image, "--json").stdout)
    # dlterm's JSON carries its schema version (README "JSON output"); the answers are the same
    assert [{k: v for k, v in a.items() if k != "schema"} for a in json.loads(ours.stdout)] == device_answer


def test_min_metric_fails_a_bundle_below_the_bar_and_csv_lists_every_variant(bundles, device, tmp_path):
    folder = bundles["cnn"][0]
    csv_path = tmp_path / "bench.csv"
    ok = edge(device, "bench", str(folder), "--repeats", "5", "--csv", str(csv_path), "--min-metric", "0")
    lines = csv_path.read_text().splitlines()
    assert lines[0].startswith("variant,status") and {line.split(",")[0] for line in lines[1:]} == \
        {"onnx", "tflite", "tflite-float16"}
    assert "machine:" in ok.stdout and "onnxruntime" in ok.stdout
    high = edge(device, "bench", str(folder), "--repeats", "5", "--format", "onnx", "--min-metric", "1.01", check=False)
    assert high.returncode == 1 and "onnx missed --min-metric 1.01" in high.stderr
