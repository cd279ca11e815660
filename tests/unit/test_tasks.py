"""Task objects: training facts, datasets, evaluation with baselines and headline metrics."""

from types import SimpleNamespace

import numpy as np
import pytest

from dlterm.errors import DltermError
from dlterm.tasks import all_tasks, get_task, task_names


def test_the_builtin_tasks_are_registered_with_consistent_training_facts():
    assert set(task_names()) == {"image-classification", "text-classification", "sequence-forecasting",
                                 "sequence-to-sequence", "text-generation"}
    for task in all_tasks().values():
        assert task.mode in ("min", "max") and task.monitor in ("val_loss", *[f"val_{m}" for m in task.metrics])
        assert task.datasets(), f"{task.name} has no dataset"
        assert all(d.task == task.name for d in task.datasets())
        assert sum(d.needs_path for d in task.datasets()) == 1  # exactly one reads your files


def test_unknown_task_is_one_clear_error():
    with pytest.raises(DltermError, match="unknown task 'speech'"):
        get_task("speech")


def test_monitor_for_defaults_and_validates():
    assert get_task("image-classification").monitor_for("auto") == ("val_accuracy", "max")
    assert get_task("sequence-forecasting").monitor_for("auto") == ("val_loss", "min")
    assert get_task("sequence-forecasting").monitor_for("val_mae") == ("val_mae", "min")
    with pytest.raises(DltermError, match="not recorded for sequence-forecasting"):
        get_task("sequence-forecasting").monitor_for("val_accuracy")


def test_only_images_augment_and_text_tasks_read_one_text():
    assert [t.name for t in all_tasks().values() if t.augmentable] == ["image-classification"]
    assert {t.name for t in all_tasks().values() if t.text_input} == {"text-classification", "sequence-to-sequence",
                                                                         "text-generation"}


def test_classification_evaluation_counts_the_confusion_matrix_and_lists_its_analysis():
    x_train = np.eye(3)[[0, 1, 2] * 4].reshape(12, 3, 1, 1)  # one bright pixel per class: linear-separable
    bundle = SimpleNamespace(y_test=np.array([0, 0, 1, 2]), spec=SimpleNamespace(class_names=("a", "b", "c")),
                             x_train=x_train, y_train=np.array([0, 1, 2] * 4), x_test=x_train[[0, 0, 1, 2]],
                             extra={"test_files": ["a/1.png", "a/2.png", "b/1.png", "c/1.png"]}, preprocessing={})
    probs = np.array([[0.9, 0.1, 0], [0.2, 0.8, 0], [0.1, 0.7, 0.2], [0.3, 0.3, 0.4]])
    result = get_task("image-classification").evaluate(bundle, probs, None)
    assert result["metrics"]["accuracy"] == 0.75
    assert result["confusion_matrix"] == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
    assert result["recall"] == {"a": 0.5, "b": 1.0, "c": 1.0}
    assert [c["support"] for c in result["per_class"]] == [2, 1, 1]
    assert result["confused_pairs"] == [{"true": "a", "predicted": "b", "count": 1}]
    assert result["worst"] == [{"index": 1, "label": "a", "predicted": "b", "confidence": 0.8, "source": "a/2.png"}]
    assert [b["name"] for b in result["baselines"]] == ["majority", "pixel_logistic"]
    assert result["baselines"][1]["metrics"]["accuracy"] == 1.0  # the linear model beats this network
    assert result["headline"] == "accuracy" and result["higher_is_better"] is True


def test_forecasting_reports_original_units_against_the_naive_forecast():
    prep = {"scale": [2.0], "target": "value"}
    # Last values 10 and 20; true next values 12 and 18 (scaled changes +1, -1).
    bundle = SimpleNamespace(y_test=np.array([[1.0], [-1.0]]), extra={"last_test": np.array([10.0, 20.0])},
                             preprocessing=prep, x_train=np.array([[[0.0]], [[1.0]]]), y_train=np.array([[0.0], [1.0]]),
                             x_test=np.array([[[0.0]], [[0.0]]]))
    result = get_task("sequence-forecasting").evaluate(bundle, np.array([[1.0], [0.0]]), None)
    assert result["metrics"]["mae"] == pytest.approx(1.0)  # errors 0 and 2
    assert result["metrics"]["naive_mae"] == pytest.approx(2.0)
    assert result["metrics"]["rmse_vs_naive"] == pytest.approx(np.sqrt(2) / 2)
    assert result["baselines"][0] == {"name": "naive", "description": "next = last",
                                      "metrics": {"mae": pytest.approx(2.0), "rmse": pytest.approx(2.0)}}
    assert [b["name"] for b in result["baselines"]] == ["naive", "linear_ar"] and result["headline"] == "rmse"
    assert get_task("sequence-forecasting").headline_metric(bundle, np.array([[1.0], [0.0]]), bundle.y_test) \
        == pytest.approx(np.sqrt(2))


def test_headline_comparison_and_what_counts_as_worse():
    clf = get_task("text-classification")
    bundle = SimpleNamespace()
    y = np.array([0, 1, 1, 0])
    keras = np.eye(2)[[0, 1, 1, 0]]
    export = np.eye(2)[[0, 1, 0, 0]]
    assert clf.compare(bundle, keras, export, y) == ("accuracy", 1.0, 0.75)
    assert clf.worse(1.0, 0.985) and not clf.worse(1.0, 0.995)
    gen = get_task("text-generation")
    assert gen.worse(2.0, 2.3) and not gen.worse(2.0, 2.1)


def test_sequence_to_sequence_scores_the_decoding_against_the_positional_baseline():
    # Target vocabulary: pad, start, end, "a", "b"; targets "ab" + END.
    prep = {"target_vocabulary": ["<pad>", "<s>", "</s>", "a", "b"]}
    y_train = np.array([[3, 4, 2], [3, 3, 2], [3, 4, 2]])
    y_test = np.array([[3, 4, 2], [4, 4, 2]])
    decoded = np.array([[3, 4, 2], [4, 3, 2]])
    bundle = SimpleNamespace(y_test=y_test, y_train=y_train, preprocessing=prep,
                             extra={"test_pairs": [("x", "ab"), ("y", "bb")]})
    result = get_task("sequence-to-sequence").evaluate(bundle, decoded, None)
    assert result["metrics"]["exact_match"] == 0.5
    assert result["metrics"]["char_accuracy"] == pytest.approx(5 / 6)
    assert result["metrics"]["baseline_char_accuracy"] == pytest.approx(5 / 6)  # always "ab": misses one "b"
    assert [e["output"] for e in result["examples"]] == ["ab", "ba"] and result["examples"][0]["correct"]
    assert result["baselines"][0]["metrics"] == {"char_accuracy": pytest.approx(5 / 6)}


def test_text_generation_bits_per_char_and_unigram_baseline():
    prep = {"unigram": [0.0, 0.0, 0.5, 0.5]}
    y = np.array([2, 3])
    probs = np.array([[0, 0, 1.0, 0], [0, 0, 0.5, 0.5]])
    predictor = SimpleNamespace(generate=lambda text, **kw: {"output": text.upper()})
    bundle = SimpleNamespace(y_test=y, preprocessing=prep, extra={"seed_text": "ab"})
    result = get_task("text-generation").evaluate(bundle, probs, predictor)
    assert result["metrics"]["bits_per_char"] == pytest.approx(0.5)  # -log2(1) and -log2(0.5), averaged
    assert result["metrics"]["unigram_bits_per_char"] == pytest.approx(1.0)
    assert result["sample"]["text"] == "AB"
    assert result["baselines"] == [{"name": "unigram", "description": "character frequencies alone",
                                    "metrics": {"bits_per_char": pytest.approx(1.0)}}]


def test_a_users_path_picks_the_tasks_file_dataset(tmp_path):
    (tmp_path / "prices.csv").write_text("v\n1\n")
    assert get_task("sequence-forecasting").file_dataset(str(tmp_path / "prices.csv")) == "csv"
    assert get_task("image-classification").file_dataset(str(tmp_path)) == "images"
    with pytest.raises(DltermError, match="not found"):
        get_task("text-classification").file_dataset(str(tmp_path / "missing.csv"))


def test_every_task_skeleton_writes_a_plugin_discovery_accepts(tmp_path):
    from dlterm.discovery import get_plugin
    from dlterm.scaffold import new_plugin

    with_skeleton = [t for t in all_tasks().values() if t.skeleton]
    assert len(with_skeleton) >= 4
    for task in with_skeleton:
        name = "p_" + task.name.replace("-", "_")
        new_plugin(name, tmp_path, task.name)
        plugin = get_plugin(name, [str(tmp_path)])
        assert plugin.ok, plugin.reason
        assert plugin.task == task.name and plugin.default_dataset == task.skeleton.dataset


def test_sample_inputs_of_a_text_task_are_its_test_texts():
    from types import SimpleNamespace

    import numpy as np

    bundle = SimpleNamespace(extra={"test_texts": ["good film", "bad film", "fine"]}, y_test=np.array([1, 0, 1]))
    samples = get_task("text-classification").sample_inputs(bundle, {"class_names": ["neg", "pos"]}, 2)
    assert [(s.file, s.content, s.truth) for s in samples] == [("text-00.txt", b"good film", "pos"),
                                                               ("text-01.txt", b"bad film", "neg")]
    assert get_task("text-classification").sample_inputs(SimpleNamespace(extra={}, y_test=np.array([1])), {}, 2) == []
