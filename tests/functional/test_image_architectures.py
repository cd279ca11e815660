"""resnet and vgg: from scratch on the offline default and on a real image folder, transfer
from an earlier run's base, the ImageNet path (offline: one clear line), and exports."""

import json

import numpy as np
import pytest

from dlterm.runstore import RunStore
from tests.conftest import run_cli

pytestmark = pytest.mark.slow
SMALL = {"resnet": {"stages": 2, "blocks": 1, "width": 8, "dense_units": 32},
         "vgg": {"blocks": 2, "convs_per_block": 1, "filters": 8, "dense_units": 32}}


def run_of(summary):
    return RunStore(summary["run_dir"].rsplit("/", 1)[0]).get(summary["run_id"])


@pytest.mark.parametrize("plugin", list(SMALL))
def test_trains_from_scratch_and_exports_verify(trainer, plugin):
    """From scratch in one phase, exported and verified; that it learns the shapes well
    (accuracy > 0.5 after 6 epochs) is bench/learning_checks.py's claim."""
    from dlterm.export import export_run

    summary, rec = trainer(plugin, overrides={"data.samples": 200, "epochs": 1, **SMALL[plugin]})
    assert summary["status"] == "completed" and not rec.of("phase")  # weights none: one phase
    (evaluated,) = rec.of("evaluated")
    assert 0 <= evaluated["metrics"]["accuracy"] <= 1
    # a one-epoch toy: int8 may lose 0.1 (the policy's 1 point is for real models)
    results = export_run(run_of(summary), ["onnx"], ["none"]) + export_run(run_of(summary), ["tflite"], ["none", "int8"],
                                                                            max_loss=0.1)
    assert [r["format"] for r in results] == ["onnx", "tflite", "tflite"]
    assert all(r["verified"] and r["max_abs_error"] < 1e-4 for r in results[:2])
    assert results[2]["export_metric"] >= results[2]["keras_metric"] - 0.1


@pytest.mark.parametrize("plugin", list(SMALL))
def test_trains_on_a_real_image_folder(env, shared_datasets, plugin):
    folder = shared_datasets / "hymenoptera_data"
    args = [f"{k}={v}" for k, v in SMALL[plugin].items()]
    result = run_cli(["train", plugin, "--data", str(folder), "--image-size", "32", "--epochs", "1", "--json",
                      *[a for kv in args for a in ("--set", kv)]], env)
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    loaded = next(e for e in events if e["event"] == "data_loaded")
    assert loaded["sizes"]["train"] >= 244 and loaded["sizes"]["val"] > 0
    assert next(e for e in events if e["event"] == "run_start")["class_names"] == ["ants", "bees"]
    assert events[-1]["status"] == "completed"


def test_resnet_transfers_an_earlier_runs_base_in_two_phases(trainer):
    from dlterm.training.trainer import load_model

    hp = {**SMALL["resnet"], "stages": 3}
    source, _ = trainer("resnet", overrides={"data.samples": 300, "epochs": 1, **hp})
    summary, rec = trainer("resnet", overrides={"data.samples": 300, "epochs": 1, "weights": f"run:{source['run_id']}",
                                                "fine_tune_epochs": 1, "fine_tune_layers": 4, "early_stopping": False,
                                                "data.image_size": 40})  # another size: resized to the base's 28x28
    assert summary["status"] == "completed" and summary["epochs_completed"] == 2
    assert [(p["name"], p["first_epoch"]) for p in rec.of("phase")] == [("head", 1), ("fine-tune", 2)]
    before = load_model(run_of(source).file("best.keras"), compile=False).get_layer("base")
    after = load_model(run_of(summary).file("last.keras"), compile=False)
    assert after.get_layer("resize").output_shape[1:3] == (28, 28)
    base = after.get_layer("base")
    trainable = [layer.trainable for layer in base.layers if layer.weights]
    assert not any(trainable[:-4]) and any(trainable[-4:])
    first = next(i for i, layer in enumerate(base.layers) if layer.weights)
    assert np.allclose(base.layers[first].get_weights()[0], before.layers[first].get_weights()[0])  # frozen: kept


def test_run_without_the_base_is_refused_in_one_line(trainer, env, tmp_path):
    cnn, _ = trainer("cnn", overrides={"data.samples": 100, "epochs": 1, "filters": 4})
    env["DLTERM_HOME"] = str(tmp_path / "models")
    result = run_cli(["train", "vgg", "--set", f"weights=run:{cnn['run_id']}", "--epochs", "1"], env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "has no vgg base" in line
    assert len(list((tmp_path / "models").iterdir())) == 1  # only the cnn run


@pytest.mark.parametrize("plugin", list(SMALL))
def test_imagenet_weights_offline_is_one_clear_line(env, tmp_path, plugin):
    """No cached weights (an empty KERAS_HOME) and no way to download them (a dead proxy)."""
    (tmp_path / "keras").mkdir()
    env.update(KERAS_HOME=str(tmp_path / "keras"), HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9",
               https_proxy="http://127.0.0.1:9", http_proxy="http://127.0.0.1:9")
    env.pop("NO_PROXY", None), env.pop("no_proxy", None)
    result = run_cli(["train", plugin, "--set", "weights=imagenet", "--set", "data.samples=60", "--epochs", "1"], env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "ImageNet weights" in line and "--weights" in line and str(tmp_path / "keras") in line
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())


def test_imagenet_preprocessing_matches_keras():
    from dlterm.keras_env import keras
    from dlterm_plugins._transfer import _caffe_layer

    x = np.random.default_rng(0).random((2, 5, 5, 3)).astype(np.float32)
    ours = _caffe_layer()(x).numpy()
    for module in (keras.applications.resnet50, keras.applications.vgg16):
        assert np.allclose(ours, module.preprocess_input(x * 255.0), atol=1e-3)


def test_the_imagenet_architecture_trains_in_two_phases(trainer, monkeypatch):
    """The imagenet path with Keras's VGG16 built without weights (none are reachable offline)."""
    import dlterm_plugins.vgg as vgg

    built = []
    monkeypatch.setattr(vgg, "_vgg16", lambda shape, weights: built.append((shape, weights)) or
                        __import__("dlterm.keras_env", fromlist=["keras"]).keras.applications.VGG16(
                            input_shape=shape, include_top=False, weights=None))
    summary, rec = trainer("vgg", overrides={"data.samples": 120, "epochs": 1, "weights": "imagenet", "dense_units": 0,
                                             "fine_tune_epochs": 1, "fine_tune_layers": 4, "early_stopping": False})
    assert built == [((32, 32, 3), "imagenet")]  # 28x28 gray shapes -> at least 32x32 RGB
    assert summary["status"] == "completed" and [p["name"] for p in rec.of("phase")] == ["head", "fine-tune"]
    from dlterm.training.trainer import load_model

    model = load_model(run_of(summary).file("last.keras"), compile=False)
    assert [model.get_layer(n).__class__.__name__ for n in ("resize", "gray_to_rgb", "imagenet_preprocess")] == \
        ["Resizing", "Concatenate", "Dense"]
    assert [layer.name for layer in model.get_layer("base").layers if layer.trainable and layer.weights] == \
        ["block5_conv1", "block5_conv2", "block5_conv3"]  # the last 4 layers: three convolutions and a pool
