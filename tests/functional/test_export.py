"""Export every builtin plugin, verify it, and predict without TensorFlow."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import onnx
import pytest

from dlterm.export import export_run
from dlterm.runstore import RunStore
from tests.conftest import run_cli_here as run_cli

pytestmark = pytest.mark.slow
PLUGINS = ["cnn", "lenet5", "lstm", "gru", "simplernn", "bilstm", "seq2seq", "charlstm", "mobilenet"]


@pytest.fixture(scope="module")
def runs(shared_run, tmp_path_factory):
    """A copy of the session's tiny run of every builtin plugin (exports are written into
    them), shared by the tests of this module."""
    import shutil

    root = tmp_path_factory.mktemp("export") / "models"
    root.mkdir()
    out = {}
    for plugin in PLUGINS:
        source = shared_run(plugin)
        shutil.copytree(source, root / source.name, symlinks=True)
        out[plugin] = source.name
    return root, out


@pytest.mark.parametrize("plugin", PLUGINS)
def test_onnx_and_tflite_exports_verify(runs, plugin):
    from dlterm.tasks import get_task

    root, ids = runs
    run = RunStore(root).get(ids[plugin])
    # one-epoch toys: quantized variants may lose 0.1 of a rate or 25% of an error (the
    # policy's default floor, 1 point / 10%, is for real models: README audit)
    toy_loss = 0.1 if get_task(run.meta["task"]).higher_is_better else 0.25
    results = export_run(run, ["onnx"], ["none"]) + export_run(run, ["tflite"], ["none", "int8"], max_loss=toy_loss)
    assert [(r["format"], r["quantize"]) for r in results] == [("onnx", "none"), ("tflite", "none"), ("tflite", "int8")]
    assert all(r["verified"] for r in results), [(r["format"], r["quantize"], r.get("reason")) for r in results]
    onnx_fp32, tflite_fp32, int8 = results
    for r in (onnx_fp32, tflite_fp32):
        # the same metric up to float noise (an RMSE in series units is not a rate)
        assert r["max_abs_error"] < 1e-4 and r["metric_change"] == pytest.approx(0, abs=1e-6 * max(1.0, abs(r["keras_metric"])))
    if run.meta["task"] == "image-classification":
        assert int8["size_bytes"] < tflite_fp32["size_bytes"] / 2  # int8 weights: about a quarter
    for path in onnx_fp32["files"]:  # seq2seq: encoder and decoder step, each self-describing
        model = onnx.load(path)
        onnx.checker.check_model(model)
        meta = json.loads({p.key: p.value for p in model.metadata_props}["dlterm"])
        assert meta["plugin"] == plugin and meta["task"] == run.meta["task"]
        assert meta["preprocessing"] == json.loads(run.file("preprocessing.json").read_text())
    assert json.loads(open(tflite_fp32["path"] + ".json").read())["run_id"] == run.id
    recorded = json.loads(run.file("exports.json").read_text())
    assert len(recorded) == 3 and all(r["verified"] for r in recorded)


def test_predict_gives_the_same_answer_on_run_and_exports(runs, env, tmp_path):
    from PIL import Image

    root, ids = runs
    env["DLTERM_HOME"] = str(root)
    img = tmp_path / "x.png"
    Image.fromarray((np.random.default_rng(0).random((40, 40)) * 255).astype("uint8")).save(img)
    run_dir = root / ids["cnn"]
    answers = []
    for model in (ids["cnn"], run_dir / "exports" / "model.onnx", run_dir / "exports" / "model.tflite"):
        result = run_cli(["predict", str(model), str(img), "--json"], env)
        assert result.returncode == 0, result.stderr
        answers.append(json.loads(result.stdout)[0])
    assert answers[0]["label"] == answers[1]["label"] == answers[2]["label"]
    assert answers[0]["confidence"] == pytest.approx(answers[1]["confidence"], abs=1e-5)
    values = [str(v) for v in np.linspace(100, 140, 12)]
    lstm_dir = root / ids["lstm"]
    forecasts = [json.loads(run_cli(["predict", str(m), *values, "--steps", "3", "--json"], env).stdout)[0]["forecast"]
                 for m in (ids["lstm"], lstm_dir / "exports" / "model.onnx", lstm_dir / "exports" / "model.tflite")]
    assert len(forecasts[0]) == 3
    assert np.allclose(forecasts[0], forecasts[1], atol=1e-3) and np.allclose(forecasts[0], forecasts[2], atol=1e-3)


@pytest.mark.parametrize("plugin, inputs", [
    ("bilstm", ["the acting was not good", "honestly the plot was truly brilliant"]),
    ("seq2seq", ["march 3, 2021", "3rd of jan 1999"]),
    ("charlstm", ["The ", "--temperature", "0", "--length", "20"]),
])
def test_text_models_answer_alike_on_run_and_exports(runs, env, plugin, inputs):
    root, ids = runs
    env["DLTERM_HOME"] = str(root)
    exports = root / ids[plugin] / "exports"
    files = ["model.encoder.onnx", "model.decoder.tflite"] if plugin == "seq2seq" else ["model.onnx", "model.tflite"]
    answers = []
    for model in (ids[plugin], *(exports / f for f in files)):  # either seq2seq part loads both
        result = run_cli(["predict", str(model), *inputs, "--json"], env)
        assert result.returncode == 0, result.stderr
        answers.append([{k: r.get(k) for k in ("label", "output")} for r in json.loads(result.stdout)])
    assert all(a == answers[0] for a in answers), answers
    assert all(r["label"] in ("positive", "negative") or isinstance(r["output"], str) for r in answers[0])


def test_onnx_predict_needs_no_tensorflow(runs, tmp_path):
    """Block TensorFlow's import entirely, then run the standalone inference path."""
    from PIL import Image

    root, ids = runs
    onnx_path = root / ids["cnn"] / "exports" / "model.onnx"
    img = tmp_path / "x.png"
    Image.new("L", (28, 28), 200).save(img)
    script = textwrap.dedent(f"""
        import sys, time, json
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("tensorflow", "tf_keras", "keras", "tf2onnx"):
                    raise ImportError("blocked: " + name)
        sys.meta_path.insert(0, Block())
        t0 = time.perf_counter()
        sys.argv = ["dlterm", "predict", {str(onnx_path)!r}, {str(img)!r}, "--json"]
        from dlterm.__main__ import main
        try:
            main()
        except SystemExit as e:
            assert not e.code, e.code
        print(json.dumps({{"wall": time.perf_counter() - t0,
                           # VmHWM, not ru_maxrss: the latter keeps the forking parent's peak across exec.
                           "peak_mb": int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024,
                           "tf": [m for m in sys.modules if m.startswith("tensorflow")]}}))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    *prediction, stats = result.stdout.strip().splitlines()
    assert json.loads("\n".join(prediction))[0]["label"] in ("disc", "square", "triangle", "cross")
    stats = json.loads(stats)
    assert stats["tf"] == []
    print(f"predict on .onnx without TensorFlow: {stats['wall']:.2f} s, peak {stats['peak_mb']:.0f} MB")


def test_export_and_bench_cli(runs, env):
    root, ids = runs
    env["DLTERM_HOME"] = str(root)
    result = run_cli(["bench", ids["gru"], "--repeats", "5", "--json"], env)
    assert result.returncode == 0, result.stderr
    rows = {r["variant"]: r for r in json.loads(result.stdout)}
    assert set(rows) == {"keras (tf.function)", "onnx (fp32)", "tflite (none)", "tflite (float16)", "tflite (dynamic)", "tflite (int8)"}
    for row in rows.values():
        assert row["status"] == "ok" and row["latency_ms_median"] > 0 and row["throughput_batch32"] > 0
        assert row["metric"] == "rmse"
    show = run_cli(["show", ids["gru"]], env)
    assert "model.float16.tflite" in show.stdout


@pytest.mark.parametrize("args, message", [
    (["export", "latest", "--format", "coreml"], "unknown export format 'coreml'"),
    (["export", "latest", "--quantize", "int4"], "unknown quantization 'int4'"),
    (["predict", "missing.onnx", "x.png"], "model file or bundle not found: missing.onnx"),
])
def test_export_and_predict_errors(runs, env, args, message):
    env["DLTERM_HOME"] = str(runs[0])
    result = run_cli(args, env)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_truncated_and_foreign_model_files(env, tmp_path, runs):
    root, ids = runs
    good = (root / ids["cnn"] / "exports" / "model.onnx").read_bytes()
    bad = tmp_path / "cut.onnx"
    bad.write_bytes(good[: len(good) // 2])
    foreign = tmp_path / "text.tflite"
    foreign.write_text("hello")
    for path, message in [(bad, "not a usable ONNX model"), (foreign, "not a usable TFLite model")]:
        result = run_cli(["predict", str(path), "x.png"], env)
        assert result.returncode == 2 and message in result.stderr


def test_bench_times_a_whole_greedy_decoding_per_call(runs, env):
    root, ids = runs
    env["DLTERM_HOME"] = str(root)
    result = run_cli(["bench", ids["seq2seq"], "--repeats", "5", "--json"], env)
    assert result.returncode == 0, result.stderr
    rows = {r["variant"]: r for r in json.loads(result.stdout)}
    assert len(rows) == 6 and all(r["status"] == "ok" and r["metric"] == "char_accuracy" for r in rows.values())
    # Two files per variant (encoder + decoder step), counted together.
    exports = {(r["format"], r["quantize"]): r for r in json.loads((root / ids["seq2seq"] / "exports.json").read_text())}
    assert all(len(r["files"]) == 2 and r["size_bytes"] == sum(os.path.getsize(f) for f in r["files"]) for r in exports.values())
    assert rows["onnx (fp32)"]["metric_value"] == pytest.approx(rows["keras (tf.function)"]["metric_value"], abs=1e-6)
