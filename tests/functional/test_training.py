"""Every training option is exercised; evaluation reports what each task needs."""

import math

import numpy as np
import pytest

from dlterm.errors import DltermError, TrainingFailed
from dlterm.evaluate import evaluate_run
from dlterm.runstore import RunStore

pytestmark = pytest.mark.slow


# That they learn well (cnn and lenet5 beating chance by far, the forecasters beating the
# naive forecast) is bench/learning_checks.py's claim; here, what evaluation reports.
@pytest.mark.parametrize("plugin", ["cnn", "lenet5"])
def test_image_classifiers_are_evaluated_with_a_confusion_matrix(shared_run, plugin):
    run_dir = shared_run(plugin)
    result = evaluate_run(RunStore(run_dir.parent).get(run_dir.name))
    assert 0 <= result["metrics"]["accuracy"] <= 1
    matrix = np.array(result["confusion_matrix"])
    assert matrix.sum() == result["samples"] and matrix.shape == (4, 4)


@pytest.mark.parametrize("plugin", ["lstm", "gru", "simplernn"])
def test_forecasters_are_evaluated_against_the_naive_forecast(shared_run, plugin):
    run_dir = shared_run(plugin)
    metrics = evaluate_run(RunStore(run_dir.parent).get(run_dir.name))["metrics"]
    assert metrics["rmse"] > 0 and metrics["naive_rmse"] > 0 and metrics["mae"] > 0 and metrics["naive_mae"] > 0


def test_run_folder_and_event_stream(trainer, tmp_path):
    summary, rec = trainer("cnn", overrides={"epochs": 2, "filters": 4, "blocks": 2})
    kinds = [e["event"] for e in rec.events]
    assert kinds[:3] == ["run_created", "data_loaded", "run_start"] and kinds[-1] == "summary"
    assert [e["epoch"] for e in rec.of("epoch_end")] == [1, 2]
    epoch = rec.of("epoch_end")[0]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(epoch["metrics"]) and epoch["lr"] > 0
    start = rec.of("run_start")[0]
    assert start["params"] > 0 and "Conv2D" in start["summary"] and start["config"]["hyperparameters"]["filters"] == 4
    assert all(e["run_id"] == summary["run_id"] for e in rec.events)
    run_dir = tmp_path / "models" / summary["run_id"]
    for name in ("run.json", "best.keras", "last.keras", "final.keras", "history.csv", "events.jsonl",
                 "summary.txt", "preprocessing.json"):
        assert (run_dir / name).is_file(), name
    assert list((run_dir / "tensorboard" / "train").glob("events.out.tfevents.*"))
    run = RunStore(tmp_path / "models").get(summary["run_id"])
    assert run.status == "completed" and run.meta["epochs_completed"] == 2
    assert [row["epoch"] for row in run.history()] == [1, 2]
    assert len((run_dir / "events.jsonl").read_text().splitlines()) == len(rec.events)


def test_best_checkpoint_holds_the_best_epoch(trainer, tmp_path):
    from dlterm import datasets
    from dlterm.training.trainer import load_model

    summary, rec = trainer("cnn", overrides={"epochs": 3, "filters": 4, "early_stopping": "false"})
    best = summary["best"]
    assert best["value"] == max(e["metrics"]["val_accuracy"] for e in rec.of("epoch_end"))
    run = RunStore(tmp_path / "models").get(summary["run_id"])
    model = load_model(run.file("best.keras"))
    cfg = run.meta["config"]
    bundle = datasets.load("shapes", cfg["data"], cfg["training"]["seed"])
    _, acc = model.evaluate(bundle.x_val, bundle.y_val, verbose=0)
    assert acc == pytest.approx(best["value"], abs=1e-6)


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop", "adagrad", "adadelta"])
def test_each_optimizer_trains(trainer, optimizer, tmp_path):
    summary, rec = trainer("lstm", overrides={"epochs": 2, "units": 8, "layers": 1, "optimizer": optimizer,
                                              "learning_rate": 0.01})
    import tf_keras

    run = RunStore(tmp_path / "models").get(summary["run_id"])
    model = tf_keras.models.load_model(run.file("last.keras"))
    assert type(model.optimizer).__name__.lower() == optimizer
    losses = [e["metrics"]["loss"] for e in rec.of("epoch_end")]
    assert all(math.isfinite(v) for v in losses) and losses[-1] < losses[0]


@pytest.mark.parametrize("schedule, extra", [("exponential", {"decay_rate": "0.5"}), ("cosine", {})])
def test_decaying_schedules_lower_the_learning_rate(trainer, schedule, extra):
    _, rec = trainer("lstm", overrides={"epochs": 3, "units": 8, "layers": 1, "schedule": schedule, **extra})
    lrs = [e["lr"] for e in rec.of("epoch_end")]
    assert lrs[0] > lrs[1] > lrs[2]
    if schedule == "exponential":
        assert lrs[1] / lrs[0] == pytest.approx(0.5, rel=0.02)


def test_plateau_schedule_reduces_on_a_stalled_monitor(trainer):
    # A learning rate this small makes no progress, so accuracy stalls and the LR is cut.
    _, rec = trainer("cnn", overrides={"epochs": 3, "filters": 4, "learning_rate": 1e-8, "schedule": "plateau",
                                       "plateau_patience": 1, "plateau_factor": 0.5, "min_lr": 0, "early_stopping": "false"})
    lrs = [e["lr"] for e in rec.of("epoch_end")]
    assert lrs[-1] == pytest.approx(lrs[0] * 0.5, rel=1e-3)


def test_early_stopping_stops_and_says_so(trainer):
    summary, rec = trainer("cnn", overrides={"epochs": 10, "filters": 4, "learning_rate": 1e-8, "patience": 1})
    assert summary["status"] == "completed" and summary["epochs_completed"] < 10
    assert rec.of("early_stop")[0]["monitor"] == "val_accuracy"


def test_augmentation_changes_images_but_not_labels():
    from dlterm.keras_env import tf
    from dlterm.training.augment import augmenter
    from dlterm.training_options import TRAINING_OPTIONS

    options = {o.name: o.default for o in TRAINING_OPTIONS} | {"flip": "both", "shear": 0.3}
    images = tf.random.uniform((8, 28, 28, 1))
    labels = tf.range(8)
    out, out_labels = augmenter(options, seed=3)(images, labels)
    assert out.shape == images.shape and np.array_equal(out_labels.numpy(), labels.numpy())
    assert float(tf.reduce_mean(tf.abs(out - images))) > 0.01


def test_training_with_augmentation(trainer):
    summary, rec = trainer("cnn", overrides={"epochs": 2, "filters": 4, "augment": "true", "rotation": "0.1"})
    assert summary["status"] == "completed" and len(rec.of("epoch_end")) == 2


def test_same_seed_same_result(trainer):
    first, _ = trainer("lstm", overrides={"epochs": 2, "units": 8, "layers": 1, "seed": 7})
    second, _ = trainer("lstm", overrides={"epochs": 2, "units": 8, "layers": 1, "seed": 7})
    other, _ = trainer("lstm", overrides={"epochs": 2, "units": 8, "layers": 1, "seed": 8})
    assert first["metrics"]["loss"] == pytest.approx(second["metrics"]["loss"], rel=1e-5)
    assert first["metrics"]["loss"] != pytest.approx(other["metrics"]["loss"], rel=1e-5)


def test_config_file_and_overrides_reach_the_run(trainer, tmp_path):
    cfg = tmp_path / "run.toml"
    cfg.write_text('plugin = "cnn"\n[hyperparameters]\nfilters = 6\n[training]\nepochs = 1\n[data]\nsamples = 200\n')
    summary, _ = trainer(None, config_file=str(cfg), overrides={"blocks": "2"})
    run = RunStore(tmp_path / "models").get(summary["run_id"])
    assert run.meta["config"]["hyperparameters"]["filters"] == 6
    assert run.meta["config"]["hyperparameters"]["blocks"] == 2
    assert run.meta["sizes"]["train"] == 140


def test_nan_loss_fails_clearly_and_keeps_the_best_checkpoint(trainer, tmp_path):
    plugins = tmp_path / "nanplugins"
    plugins.mkdir()
    (plugins / "explode.py").write_text('''
from dlterm.plugin_api import Int
NAME = "explode"; TITLE = "Explodes"; DESCRIPTION = "Diverges on purpose."
TASK = "sequence-forecasting"; DEFAULT_DATASET = "seasonal"
HYPERPARAMETERS = [Int("units", 4, min=1, max=8)]
def build(spec, hp):
    from dlterm.keras_env import keras, layers
    inputs = keras.Input(shape=spec.input_shape, name="window")
    x = layers.Flatten()(inputs)
    return keras.Model(inputs, layers.Dense(1)(x))
''')
    summary, rec = trainer("explode", plugin_dirs=[str(plugins)],
                           overrides={"epochs": 5, "optimizer": "sgd", "learning_rate": 10.0, "data.length": 300,
                                      "early_stopping": "false"})
    assert summary["status"] == "failed" and "NaN or infinite" in summary["error"]
    assert rec.of("failed")
    run = RunStore(tmp_path / "models").get(summary["run_id"])
    assert run.status == "failed" and run.meta["epochs_completed"] < 5


def test_builder_errors_and_wrong_shapes_are_reported_before_a_run_exists(trainer, tmp_path):
    plugins = tmp_path / "badplugins"
    plugins.mkdir()
    header = ('from dlterm.plugin_api import Int\nTITLE = "t"; DESCRIPTION = "d"; TASK = "image-classification"\n'
              'DEFAULT_DATASET = "shapes"; HYPERPARAMETERS = []\n')
    (plugins / "raises.py").write_text(header + 'NAME = "raises"\ndef build(spec, hp):\n    raise ValueError("no good")\n')
    (plugins / "wrong.py").write_text(header + 'NAME = "wrong"\ndef build(spec, hp):\n'
                                      '    from dlterm.keras_env import keras, layers\n'
                                      '    i = keras.Input(spec.input_shape)\n'
                                      '    return keras.Model(i, layers.Dense(3)(layers.Flatten()(i)))\n')
    (plugins / "notmodel.py").write_text(header + 'NAME = "notmodel"\ndef build(spec, hp):\n    return 42\n')
    for name, message in [("raises", "failed to build its model: ValueError: no good"),
                          ("wrong", "output shape (None, 3), but the data needs (None, 4)"),
                          ("notmodel", "returned int, not a Keras model")]:
        with pytest.raises(TrainingFailed, match=message.replace("(", r"\(").replace(")", r"\)")):
            trainer(name, plugin_dirs=[str(plugins)], overrides={"data.samples": 100})
    assert not (tmp_path / "models").exists() or not list((tmp_path / "models").iterdir())


def test_task_mismatch_is_refused(trainer):
    with pytest.raises(DltermError, match="dataset 'seasonal' is for sequence-forecasting"):
        trainer("cnn", dataset="seasonal")


def test_resume_continues_from_the_last_epoch(trainer, tmp_path):

    first, rec = trainer("lstm", overrides={"epochs": 2, "units": 8, "layers": 1, "early_stopping": "false"})
    with pytest.raises(DltermError, match="already trained 2 of 2 epochs"):
        trainer(resume=first["run_id"])
    summary, rec = trainer(resume=first["run_id"], overrides={"epochs": 4})
    assert summary["status"] == "completed" and summary["epochs_completed"] == 4
    assert [e["epoch"] for e in rec.of("epoch_end")] == [3, 4]
    run = RunStore(tmp_path / "models").get(first["run_id"])
    assert [row["epoch"] for row in run.history()] == [1, 2, 3, 4]
    with pytest.raises(DltermError, match="cannot change units"):
        trainer(resume=first["run_id"], overrides={"epochs": 6, "units": 4})
