"""The text, seq2seq, char-generation and transfer-learning plugins save what prediction
needs with the run, transfer an earlier run's base in phases, and read users' files.
How well they learn is bench/learning_checks.py's job."""

import json

import numpy as np
import pytest

from dlterm.runstore import RunStore
from tests.conftest import run_cli, run_cli_here

pytestmark = pytest.mark.slow


def run_of(summary):
    return RunStore(summary["run_dir"].rsplit("/", 1)[0]).get(summary["run_id"])


def test_bilstm_saves_its_word_vocabulary_for_prediction(shared_run):
    prep = json.loads((shared_run("bilstm") / "preprocessing.json").read_text())
    assert prep["tokens"] == "words" and prep["vocabulary"][:2] == ["<pad>", "<unk>"] and "not" in prep["vocabulary"]
    assert prep["max_length"] == 20 and prep["class_names"] == ["negative", "positive"]


def test_seq2seq_saves_examples_and_tokens_and_beam_1_is_greedy(shared_run):
    from dlterm import datasets
    from dlterm.export import rows
    from dlterm.trained_model import keras_predictor

    run = RunStore(shared_run("seq2seq").parent).get(shared_run("seq2seq").name)
    evaluation = json.loads(run.file("evaluation.json").read_text())
    assert len(evaluation["examples"]) == 8 and all(len(e["target"]) == 10 for e in evaluation["examples"])
    prep = json.loads(run.file("preprocessing.json").read_text())
    assert (prep["start_token"], prep["end_token"]) == (1, 2) and prep["target_vocabulary"][:3] == ["<pad>", "<s>", "</s>"]
    assert prep["target_length"] == 11 and set("0123456789-") <= set(prep["target_vocabulary"])
    # Beam search of width 1 is exactly greedy decoding (that wider beams decode about as
    # well is a claim about a trained model: bench/learning_checks.py).
    predictor, _ = keras_predictor(run)
    bundle = datasets.load("dates", run.meta["config"]["data"], run.meta["config"]["training"]["seed"])
    source = rows(bundle.x_test, slice(0, 20))["source"]
    assert (predictor.beam_decode(source, 1) == predictor.decode(source)).all()
    assert predictor.beam_decode(source, 3).shape == predictor.decode(source).shape


def test_charlstm_saves_a_sample_from_its_vocabulary(shared_run):
    run = shared_run("charlstm")
    evaluation = json.loads((run / "evaluation.json").read_text())
    vocabulary = set(json.loads((run / "preprocessing.json").read_text())["vocabulary"])
    assert len(evaluation["sample"]["text"]) == 300 and set(evaluation["sample"]["text"]) <= vocabulary


# How well these plugins learn (bilstm, seq2seq and charlstm beating their baselines, a
# mobilenet from scratch beating chance) is bench/learning_checks.py's job (README).


@pytest.fixture
def mobilenet_base(run_copy):
    """A private copy of a tiny mobilenet trained from scratch (one phase): the base for transfer tests."""
    from dlterm.runstore import RunStore

    root, run_id = run_copy("mobilenet")  # the session's tiny one (a base need not be good)
    run = RunStore(root).get(run_id)
    assert run.meta["status"] == "completed" and {row.get("phase", 1) for row in run.history()} == {1}
    return root, {"run_id": run_id, "run_dir": str(run.path)}, None


def test_mobilenet_transfer_trains_head_then_fine_tunes(mobilenet_base):
    from dlterm.events import Emitter
    from dlterm.training.trainer import TrainRequest, load_model, train
    from tests.functional.conftest import Recorder

    root, base_summary, _ = mobilenet_base
    rec = Recorder()
    summary = train(TrainRequest(plugin="mobilenet", models_dir=str(root), overrides={
        "data.samples": 400, "input_size": 32, "epochs": 2, "weights": f"run:{base_summary['run_id']}",
        "fine_tune_epochs": 2, "fine_tune_layers": 10, "fine_tune_lr": 1e-5, "early_stopping": False}), Emitter([rec]))
    assert summary["status"] == "completed" and summary["epochs_completed"] == 4
    phases = rec.of("phase")
    assert [(p["name"], p["first_epoch"], p["last_epoch"]) for p in phases] == [("head", 1, 2), ("fine-tune", 3, 4)]
    history = run_of(summary).history()
    assert [row["phase"] for row in history] == [1, 1, 2, 2]
    assert history[0]["lr"] == pytest.approx(1e-3) and history[-1]["lr"] == pytest.approx(1e-5)
    # The transferred base starts from the earlier run's weights, and phase 2 unfroze its top only.
    source = load_model(run_of(base_summary).file("best.keras"), compile=False).get_layer("mobilenetv2_base")
    base = load_model(run_of(summary).file("last.keras"), compile=False).get_layer("mobilenetv2_base")
    trainable = [layer.trainable for layer in base.layers if layer.weights]
    assert not any(trainable[:-10]) and any(trainable[-10:])
    first_conv = source.layers[1].get_weights()[0]
    assert np.allclose(base.layers[1].get_weights()[0], first_conv)  # a frozen layer keeps what it was given


def test_imagenet_weights_offline_is_one_clear_line(env, tmp_path):
    # Offline on any machine: an empty Keras cache, and every download sent to a closed port.
    closed = "http://127.0.0.1:9"
    env = {**env, "KERAS_HOME": str(tmp_path / "keras"), "HTTPS_PROXY": closed, "https_proxy": closed,
           "HTTP_PROXY": closed, "http_proxy": closed}
    result = run_cli(["train", "mobilenet", "--weights", "imagenet", "--set", "data.samples=60"], env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "ImageNet weights" in line and "--weights" in line
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())


def test_user_text_pairs_and_corpus_files(env, shared_datasets, tmp_path):
    """The real files of ../shared/datasets read through --data, as a user would."""
    pairs = tmp_path / "fra.tsv"
    pairs.write_text("".join(shared_datasets.joinpath("fra.txt").read_text(encoding="utf-8").splitlines(True)[:400]),
                     encoding="utf-8")
    cases = [("bilstm", shared_datasets / "IMDB_Dataset_first1380.csv", ["--set", "data.max_length=40"], {"train": 966}),
             ("bilstm", shared_datasets / "sentiment_labelled_sentences" / "yelp_labelled.txt", [], {"train": 700}),
             ("seq2seq", pairs, ["--set", "units=16"], {"train": 280}),
             ("charlstm", shared_datasets / "tinyshakespeare_input.txt", ["--set", "data.length=20000", "--set", "units=16"], {})]
    for plugin, path, extra, sizes in cases:
        result = run_cli_here(["train", plugin, "--data", str(path), "--epochs", "1", "--json", *extra], env)
        assert result.returncode == 0, result.stderr
        events = [json.loads(line) for line in result.stdout.splitlines()]
        loaded = next(e for e in events if e["event"] == "data_loaded")
        assert loaded["sizes"]["train"] == sizes.get("train", loaded["sizes"]["train"]) > 0
        assert events[-1]["status"] == "completed" and any(e["event"] == "evaluated" and "metrics" in e for e in events)


def test_a_phased_run_stopped_at_the_phase_boundary_resumes_into_fine_tuning(mobilenet_base):
    """Stop right after the head phase; the resumed run must unfreeze and lower the rate."""
    from dlterm.events import Emitter
    from dlterm.training.callbacks.graceful import GracefulStop
    from dlterm.training.trainer import TrainRequest, train

    root, base_summary, _ = mobilenet_base
    stop = GracefulStop()

    def stop_after_head(event):
        if event["event"] == "epoch_end" and event["epoch"] == 2:
            stop.request("test")

    overrides = {"data.samples": 300, "input_size": 32, "epochs": 2, "weights": f"run:{base_summary['run_id']}",
                 "fine_tune_epochs": 2, "fine_tune_lr": 1e-5, "early_stopping": False}
    first = train(TrainRequest(plugin="mobilenet", models_dir=str(root), overrides=overrides), Emitter([stop_after_head]), stop)
    assert first["status"] == "interrupted" and first["epochs_completed"] == 2
    rec_events = []
    resumed = train(TrainRequest(resume=first["run_id"], models_dir=str(root)), Emitter([rec_events.append]))
    assert resumed["status"] == "completed" and resumed["epochs_completed"] == 4
    assert [e["name"] for e in rec_events if e["event"] == "phase"] == ["fine-tune"]
    history = run_of(resumed).history()
    assert [(row["phase"], round(row["lr"], 8)) for row in history] == [(1, 1e-3), (1, 1e-3), (2, 1e-5), (2, 1e-5)]
