"""Self-describing exports and deploy bundles, from the outside: the CLI, the files it
writes, and plain scripts that use them with nothing of dlterm's."""

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from dlterm.runstore import RunStore
from tests.conftest import REPO, cli_env, run_cli

pytestmark = pytest.mark.slow


def _umask_022():
    os.umask(0o022)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A tiny cnn and lstm trained, and the cnn exported to ONNX and TFLite, under umask 022."""
    root = tmp_path_factory.mktemp("bundle")
    env = cli_env(root)
    (root / "plugins").mkdir()
    ids = {}
    for plugin, args in {"cnn": ["--set", "data.samples=200", "--set", "filters=4", "--set", "blocks=2"],
                         "lstm": ["--set", "data.length=300", "--set", "units=8"]}.items():
        done = run_cli(["train", plugin, "--epochs", "1", "--json", *args], env, preexec_fn=_umask_022)
        assert done.returncode == 0, done.stderr
        ids[plugin] = json.loads(done.stdout.strip().splitlines()[-1])["run_id"]
    done = run_cli(["export", ids["cnn"], "--format", "all", "--json"], env, preexec_fn=_umask_022)
    assert done.returncode == 0, done.stderr
    return root, env, ids


def _images(folder):
    """Test images that exercise every preprocessing rule: transparency, a palette, a larger
    RGB photo-like picture (resized), and a greyscale one."""
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(3)
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[8:32, 8:32] = [30, 30, 30, 255]
    rgba[..., 3][rgba[..., 3] == 0] = rng.integers(0, 120, size=int((rgba[..., 3] == 0).sum()), dtype=np.uint8)
    Image.fromarray(rgba, "RGBA").save(folder / "alpha.png")
    Image.fromarray(rng.integers(0, 255, (50, 70, 3), dtype=np.uint8)).save(folder / "photo.png")
    Image.fromarray(rng.integers(0, 255, (30, 30), dtype=np.uint8), "L").convert("P").save(folder / "palette.png")
    Image.fromarray(rng.integers(0, 255, (17, 23), dtype=np.uint8), "L").save(folder / "grey.png")
    return sorted(folder.glob("*.png"))


def _readme_script() -> str:
    """The plain onnxruntime script as the README shows it."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    marker = text.index("<!-- plain-onnxruntime-script -->")
    return re.search(r"```python\n(.*?)```", text[marker:], re.S).group(1)


def test_the_readme_script_reproduces_predict_with_numpy_pillow_and_onnxruntime(store, tmp_path):
    root, env, ids = store
    run = RunStore(root / "models").get(ids["cnn"])
    work = tmp_path / "device"
    work.mkdir()
    shutil.copy(run.file("exports") / "model.onnx", work / "model.onnx")
    script = work / "classify.py"
    script.write_text(_readme_script(), encoding="utf-8")
    assert "dlterm" not in script.read_text().replace('props["dlterm"]', "")  # nothing of dlterm's code
    # The script's process cannot import dlterm or TensorFlow: only numpy, Pillow, onnxruntime.
    blocked = {**env, "PYTHONPATH": str(tmp_path / "block")}
    (tmp_path / "block").mkdir()
    for name in ("dlterm", "dlterm_edge", "tensorflow", "tf_keras"):
        (tmp_path / "block" / f"{name}.py").write_text("raise ImportError('blocked')\n")
    for image in _images(tmp_path / "images"):
        plain = subprocess.run([sys.executable, str(script), str(image)], cwd=work, env=blocked, capture_output=True,
                               text=True, timeout=120)
        assert plain.returncode == 0, plain.stderr
        ours = run_cli(["predict", str(work / "model.onnx"), str(image), "--json"], env)
        assert ours.returncode == 0, ours.stderr
        expected = json.loads(ours.stdout)[0]["probabilities"]
        got = json.loads(plain.stdout)
        assert list(got) == list(expected)
        assert max(abs(got[k] - expected[k]) for k in got) < 1e-5, image.name


def test_onnx_files_carry_flat_keys_other_tools_read(store):
    import onnxruntime as ort

    root, _, ids = store
    run = RunStore(root / "models").get(ids["cnn"])
    props = ort.InferenceSession(str(run.file("exports") / "model.onnx")).get_modelmeta().custom_metadata_map
    meta = json.loads(props["dlterm"])
    assert json.loads(props["labels"]) == meta["class_names"] == run.meta["class_names"]
    assert props["task"] == "image-classification" and props["image_size"] == "28x28x1"
    prep = meta["preprocessing"]
    assert (prep["resize"], prep["color_mode"], prep["alpha"], prep["layout"]) == ("bilinear", "L", "composite", "NHWC")
    assert meta["outputs"][0]["dtype"] == "float32"


def test_a_tflite_file_copied_alone_still_predicts_with_labels(store, tmp_path):
    root, env, ids = store
    run = RunStore(root / "models").get(ids["cnn"])
    alone = tmp_path / "copied.tflite"
    shutil.copy(run.file("exports") / "model.tflite", alone)
    assert not (tmp_path / "copied.tflite.json").exists()
    image = _images(tmp_path / "images")[0]
    done = run_cli(["predict", str(alone), str(image), "--json"], env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)[0]
    assert result["label"] in run.meta["class_names"] and set(result["probabilities"]) == set(run.meta["class_names"])
    onnx = run_cli(["predict", str(run.file("exports") / "model.onnx"), str(image), "--json"], env)
    assert json.loads(onnx.stdout)[0]["label"] == result["label"]
    # and the stock LiteRT interpreter loads the file with its metadata appended
    from ai_edge_litert.interpreter import Interpreter

    Interpreter(model_path=str(alone)).allocate_tensors()


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_run_files_and_exports_follow_the_umask(store):
    root, _, ids = store
    run = RunStore(root / "models").get(ids["cnn"])
    for name in ("run.json", "history.csv", "preprocessing.json", "best.keras", "last.keras", "exports.json",
                 "exports/model.onnx", "exports/model.tflite", "exports/model.tflite.json"):
        assert _mode(run.file(name)) == 0o644, name


def test_bundle_holds_verified_models_labels_card_sample_and_checksums(store, tmp_path):
    from dlterm_edge.bundle import verify_checksums

    root, env, ids = store
    target = tmp_path / "deploy" / "digits"
    done = run_cli(["export", ids["cnn"], "--bundle", str(target), "--quantize", "none", "--quantize", "float16",
                    "--json"], env, preexec_fn=_umask_022)
    assert done.returncode == 0, done.stderr
    files = set(json.loads(done.stdout)["files"])
    assert {"model.onnx", "model.tflite", "model.float16.tflite", "labels.txt", "metadata.json", "README.md",
            "sample.npz", "SHA256SUMS", "inputs/expected.json"} <= files
    assert not [p for p in target.parent.iterdir() if p.name != "digits"]  # no temporary folder left
    sums = dict(reversed(line.split("  ", 1)) for line in (target / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == files - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256((target / name).read_bytes()).hexdigest() == digest, name
    verify_checksums(target)
    run = RunStore(root / "models").get(ids["cnn"])
    assert (target / "labels.txt").read_text().splitlines() == run.meta["class_names"]
    # the copied ONNX file is the export verified earlier (not redone), byte for byte
    assert (target / "model.onnx").read_bytes() == (run.file("exports") / "model.onnx").read_bytes()
    with np.load(target / "sample.npz", allow_pickle=False) as sample:
        keys = set(sample.files)
        image, expected, y = sample["image"], sample["expected"], sample["y"]
    assert keys == {"image", "expected", "y"} and len(image) == len(expected) == len(y) > 0
    import onnxruntime as ort

    session = ort.InferenceSession(str(target / "model.onnx"))
    assert np.abs(session.run(None, {"image": image})[0] - expected).max() < 1e-4
    expected_inputs = json.loads((target / "inputs" / "expected.json").read_text())["inputs"]
    pngs = [target / e["file"] for e in expected_inputs]
    assert pngs and all(p.suffix == ".png" and p.is_file() for p in pngs)
    predicted = run_cli(["predict", str(target / "model.tflite"), *map(str, pngs), "--json"], env)
    assert [r["label"] for r in json.loads(predicted.stdout)] == [e["expected"]["label"] for e in expected_inputs]
    card = (target / "README.md").read_text()
    for needle in ("image-classification", "bilinear", "dlterm-edge predict", "onnxruntime", "float16", "sample.npz"):
        assert needle in card, needle
    assert all(_mode(p) == 0o644 for p in target.rglob("*") if p.is_file())


def edge_cli(*args) -> subprocess.CompletedProcess:
    """The device runtime's command line, as a device runs it."""
    return subprocess.run([sys.executable, "-m", "dlterm_edge.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)


def test_bundle_carries_the_quantized_onnx_files_and_the_device_lists_and_picks_them(store, tmp_path):
    import onnxruntime as ort

    root, env, ids = store
    target = tmp_path / "quantized"
    done = run_cli(["export", ids["cnn"], "--bundle", str(target), "--format", "onnx", "--quantize", "dynamic",
                    "--quantize", "int8", "--json"], env)
    assert done.returncode == 0, done.stderr
    meta = json.loads((target / "metadata.json").read_text())
    variants = {(v["format"], v["quantize"]): v for v in meta["variants"]}
    assert list(variants) == [("onnx", "none"), ("onnx", "dynamic"), ("onnx", "int8")]
    card = (target / "README.md").read_text()
    for (_, quantize), v in variants.items():
        (name,) = v["files"]
        assert v["size_bytes"] == (target / name).stat().st_size and v["max_abs_error"] >= 0
        assert v["metric"] == "accuracy" and 0 <= v["export_metric"] <= 1
        props = ort.InferenceSession(str(target / name)).get_modelmeta().custom_metadata_map
        assert json.loads(props["dlterm"])["quantize"] == quantize  # the file says what it is
        assert f"| `{name}` | onnx | {quantize} |" in card
    assert "quantize" not in meta  # the bundle's metadata is the model's; each variant has its own

    info = edge_cli("info", target, "--json")
    assert info.returncode == 0, info.stderr
    assert [v["variant"] for v in json.loads(info.stdout)["variants"]] == ["onnx", "onnx-dynamic", "onnx-int8"]
    image = target / json.loads((target / "inputs" / "expected.json").read_text())["inputs"][0]["file"]
    answers = {}
    for variant in ("onnx", "onnx-dynamic", "onnx-int8"):
        got = edge_cli("predict", target, image, "--format", variant, "--json")
        assert got.returncode == 0, got.stderr
        answers[variant] = json.loads(got.stdout)[0]["probabilities"]
    for variant in ("onnx-dynamic", "onnx-int8"):
        assert list(answers[variant]) == meta["class_names"]
        assert max(abs(answers[variant][k] - answers["onnx"][k]) for k in meta["class_names"]) < 0.1, variant
    bench = edge_cli("bench", target, "--format", "onnx-int8", "--json", "--repeats", "5")
    assert bench.returncode == 0, bench.stderr
    (row,) = json.loads(bench.stdout)["rows"]
    assert (row["variant"], row["status"]) == ("onnx-int8", "ok")
    assert row["metric"] == "accuracy" and 0 <= row["metric_value"] <= 1 and row["max_abs_diff_vs_keras"] < 0.1
    missing = edge_cli("predict", target, image, "--format", "tflite-int8")
    assert missing.returncode == 2 and "onnx-int8" in missing.stderr and len(missing.stderr.splitlines()) == 1


def test_a_non_empty_bundle_folder_is_refused_unless_forced(store, tmp_path):
    root, env, ids = store
    target = tmp_path / "mine"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    done = run_cli(["export", ids["cnn"], "--bundle", str(target), "--format", "onnx"], env)
    assert done.returncode == 2 and "not empty" in done.stderr and "--force" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    done = run_cli(["export", ids["cnn"], "--bundle", str(target), "--format", "onnx", "--force"], env)
    assert done.returncode == 0, done.stderr
    assert not (target / "notes.txt").exists() and (target / "model.onnx").is_file()
    assert not (target / "model.tflite").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]
    for inside in (root / "models", run_folder := root / "models" / ids["cnn"], run_folder / "exports" / "b"):
        done = run_cli(["export", ids["cnn"], "--bundle", str(inside), "--force"], env)
        assert done.returncode == 2 and "run's own folder" in done.stderr, inside
    assert (run_folder / "best.keras").is_file() and (run_folder / "exports" / "model.onnx").is_file()


def test_forecasting_bundle_has_a_csv_input_that_predicts_as_expected(store, tmp_path):
    root, env, ids = store
    target = tmp_path / "forecast"
    done = run_cli(["export", ids["lstm"], "--bundle", str(target), "--format", "onnx"], env)
    assert done.returncode == 0, done.stderr
    with np.load(target / "sample.npz", allow_pickle=False) as sample:
        assert {"window", "expected", "y", "last"} == set(sample.files)
    assert not (target / "labels.txt").exists()
    (entry,) = json.loads((target / "inputs" / "expected.json").read_text())["inputs"]
    assert entry["file"] == "inputs/series.csv"
    done = run_cli(["predict", str(target / "model.onnx"), str(target / entry["file"]), "--json"], env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["forecast"] == pytest.approx(entry["expected"]["forecast"], abs=1e-4)


def test_a_failure_while_writing_leaves_the_users_folder_as_it_was(store, tmp_path, monkeypatch):
    import dlterm.bundle as bundle

    root, _, ids = store
    run = RunStore(root / "models").get(ids["cnn"])
    target = tmp_path / "old"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(bundle, "model_card", broken)
    for folder, force in ((tmp_path / "new", False), (target, True)):
        with pytest.raises(OSError):
            bundle.write_bundle(run, folder, ["onnx"], ["none"], force=force)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old"]  # no new folder, no temporary one
    assert [p.name for p in target.iterdir()] == ["notes.txt"] and (target / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("plugin, args", [
    ("bilstm", ["--set", "data.samples=300", "--set", "units=8", "--set", "embedding_dim=8"]),
    ("seq2seq", ["--set", "data.samples=300", "--set", "units=16"]),
    ("charlstm", ["--set", "data.length=12000", "--set", "units=16", "--set", "layers=1"]),
])
def test_text_bundles_hold_raw_texts_whose_answers_match(plugin, args, tmp_path):
    from dlterm_edge.bundle import verify_checksums

    env = cli_env(tmp_path)
    (tmp_path / "plugins").mkdir()
    done = run_cli(["train", plugin, "--epochs", "1", "--json", *args], env)
    assert done.returncode == 0, done.stderr
    run_id = json.loads(done.stdout.strip().splitlines()[-1])["run_id"]
    target = tmp_path / "bundle"
    done = run_cli(["export", run_id, "--bundle", str(target), "--format", "onnx"], env)
    assert done.returncode == 0, done.stderr
    verify_checksums(target)
    meta = json.loads((target / "metadata.json").read_text())
    (variant,) = meta["variants"]
    assert variant["format"] == "onnx" and all((target / f).is_file() for f in variant["files"])
    with np.load(target / "sample.npz", allow_pickle=False) as sample:
        assert {"expected", "y"} < set(sample.files) and len(sample["y"]) == len(sample["expected"]) > 0
    expected = json.loads((target / "inputs" / "expected.json").read_text())
    options = [f"--{k}={v}" for k, v in expected["options"].items()]
    for entry in expected["inputs"]:
        assert entry["file"].endswith(".txt")
        got = run_cli(["predict", str(target / variant["files"][0]), "@" + str(target / entry["file"]), "--json",
                       *options], env)
        assert got.returncode == 0, got.stderr
        answer = json.loads(got.stdout)[0]
        assert answer.get("label", answer.get("output")) == entry["expected"].get("label", entry["expected"].get("output"))
