"""Baselines and per-class analysis on small arrays, with values worked out by hand."""

from types import SimpleNamespace

import numpy as np
import pytest

from dlterm.tasks import class_analysis as ca
from dlterm.tasks.forecast_baselines import detect_period, errors, forecast_baselines, linear_ar, seasonal_naive


def test_a_season_is_found_in_the_differences_even_under_a_trend():
    pattern = np.tile([0.0, 3.0, 1.0, -2.0], 12)
    assert detect_period(pattern + 0.5 * np.arange(48)) == 4


def test_no_season_is_claimed_for_a_straight_line_or_noise():
    assert detect_period(2.0 * np.arange(50)) is None  # constant differences: nothing to correlate
    assert detect_period(np.random.default_rng(0).normal(size=300)) is None
    assert detect_period(np.arange(5.0)) is None  # too short to see a lag three times


def test_seasonal_naive_adds_the_change_one_period_earlier():
    s = np.array([10.0, 12.0, 11.0, 20.0, 14.0])
    assert seasonal_naive(s, np.array([4]), 2).tolist() == [19.0]  # 20 + (11 - 12)
    assert seasonal_naive(s, np.array([4]), 3).tolist() == [22.0]  # 20 + (12 - 10)


def test_linear_ar_recovers_a_linear_rule_from_the_training_windows():
    x = np.array([[[1.0], [0.0]], [[0.0], [1.0]], [[1.0], [1.0]], [[2.0], [1.0]]])
    y = 2 * x[:, 0, 0] - x[:, 1, 0]
    assert linear_ar(x, y[:, None], np.array([[[3.0], [1.0]]]))[0, 0] == pytest.approx(5.0, abs=0.01)


def test_forecast_baselines_report_naive_seasonal_and_linear_in_original_units():
    series = np.array([10.0, 12.0, 11.0, 20.0, 14.0, 25.0])
    # Test targets are rows 4 and 5 (14 and 25); scaled changes with scale 1 are the true steps.
    bundle = SimpleNamespace(
        extra={"last_test": np.array([20.0, 14.0]), "target_series": series, "test_targets_at": np.array([4, 5]),
               "train_rows": 4, "period": 2},
        x_train=np.array([[[0.0]], [[1.0]]]), y_train=np.array([[0.0], [1.0]]),
        x_test=np.array([[[2.0]], [[3.0]]]), preprocessing={"scale": [1.0]})
    truth = np.array([14.0, 25.0])
    baselines, notes = forecast_baselines(bundle, truth)
    by_name = {b["name"]: b for b in baselines}
    assert list(by_name) == ["naive", "seasonal_naive", "linear_ar"] and notes == []
    assert by_name["naive"]["metrics"] == {"mae": 8.5, "rmse": pytest.approx(np.sqrt((36 + 121) / 2))}
    # period 2 (declared): 20 + (11 - 12) = 19 for 14; 14 + (20 - 11) = 23 for 25
    assert by_name["seasonal_naive"]["metrics"]["mae"] == pytest.approx(3.5)
    assert by_name["seasonal_naive"]["period"] == 2 and by_name["seasonal_naive"]["period_source"] == "declared"
    # the linear rule y = x gives changes 2 and 3: forecasts 22 and 17
    assert by_name["linear_ar"]["metrics"]["mae"] == pytest.approx(8.0, abs=0.01)


def test_a_bundle_without_its_series_or_season_says_why_seasonal_naive_is_missing():
    bundle = SimpleNamespace(extra={"last_test": np.array([1.0])}, x_train=np.zeros((1, 1, 1)), y_train=np.zeros((1, 1)),
                             x_test=np.zeros((1, 1, 1)), preprocessing={"scale": [1.0]})
    baselines, notes = forecast_baselines(bundle, np.array([1.0]))
    assert [b["name"] for b in baselines] == ["naive"] and "does not keep its series" in notes[0]
    bundle.extra.update(target_series=2.0 * np.arange(30), test_targets_at=np.array([29]), train_rows=25, period=0)
    _, notes = forecast_baselines(bundle, np.array([1.0]))
    assert "no season found" in notes[0]


def test_errors_are_mae_and_rmse():
    assert errors(np.array([1.0, 2.0]), np.array([2.0, 4.0])) == {"mae": 1.5, "rmse": pytest.approx(np.sqrt(2.5))}


def test_per_class_precision_recall_f1_and_support():
    rows = ca.per_class(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2]), ["a", "b", "c", "d"])
    assert rows[0] == {"label": "a", "precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    assert rows[1] == {"label": "b", "precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3), "support": 1}
    assert rows[2]["f1"] == 1.0
    assert rows[3] == {"label": "d", "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}  # never seen: zeros


def test_most_confused_pairs_are_the_largest_off_diagonal_cells():
    matrix = [[5, 2, 0], [3, 4, 1], [0, 3, 6]]
    pairs = ca.confused_pairs(matrix, ["a", "b", "c"], top=3)
    assert pairs == [{"true": "b", "predicted": "a", "count": 3}, {"true": "c", "predicted": "b", "count": 3},
                     {"true": "a", "predicted": "b", "count": 2}]
    assert ca.confused_pairs([[4, 0], [0, 4]], ["a", "b"]) == []


def test_worst_examples_are_the_most_confident_mistakes_with_their_source():
    y = np.array([0, 1, 1, 0])
    probs = np.array([[0.9, 0.1], [0.7, 0.3], [0.4, 0.6], [0.2, 0.8]])  # rows 1 and 3 are wrong
    worst = ca.worst_examples(y, probs, ["neg", "pos"], 5, ["a", "b", "c", "x" * 400])
    assert [w["index"] for w in worst] == [3, 1]
    assert worst[0]["label"] == "neg" and worst[0]["predicted"] == "pos" and worst[0]["confidence"] == 0.8
    assert len(worst[0]["source"]) == ca.MAX_SOURCE_CHARS and worst[1]["source"] == "b"
    assert [w["index"] for w in ca.worst_examples(y, probs, ["neg", "pos"], 1)] == [3]
    assert ca.worst_examples(y, probs, ["neg", "pos"], 1)[0]["source"] is None


def test_bag_of_words_counts_tokens_and_skips_padding():
    bag = ca.bag_of_words(np.array([[0, 0, 3, 3, 2], [1, 4, 0, 0, 0]]), 5).toarray()
    assert bag.tolist() == [[0, 0, 1, 2, 0], [0, 1, 0, 0, 1]]


def test_majority_baseline_scores_the_most_common_training_class():
    result = ca.majority_baseline(np.array([1, 1, 0]), np.array([1, 0, 1, 1]))
    # always 1: accuracy 3/4; F1 of class 1 is 6/7 (precision 3/4, recall 1), of class 0 zero
    assert result["metrics"] == {"accuracy": 0.75, "macro_f1": pytest.approx(3 / 7)}


def test_linear_baselines_learn_separable_tokens_and_pixels():
    ids = np.array([[0, 2, 2], [2, 5, 2], [0, 3, 3], [3, 5, 3]] * 5)
    y = np.array([0, 0, 1, 1] * 5)
    text = ca.linear_baseline(ids, y, np.array([[0, 0, 2], [0, 0, 3]]), np.array([0, 1]), tokens=True, vocabulary_size=6)
    assert text["name"] == "tfidf_logistic" and text["metrics"]["accuracy"] == 1.0
    pixels = np.zeros((20, 2, 2, 1))
    pixels[y == 0, 0, 0, 0] = 1.0
    pixels[y == 1, 1, 1, 0] = 1.0
    image = ca.linear_baseline(pixels, y, pixels[:4], y[:4], tokens=False)
    assert image["name"] == "pixel_logistic" and image["metrics"]["accuracy"] == 1.0
    assert ca.linear_baseline(pixels, np.zeros(20, int), pixels[:4], y[:4], tokens=False) is None


def test_a_big_training_split_is_subsampled_and_says_so(monkeypatch):
    monkeypatch.setattr(ca, "MAX_LINEAR_TRAIN", 8)
    ids = np.array([[2], [3]] * 10)
    result = ca.linear_baseline(ids, np.array([0, 1] * 10), ids[:2], np.array([0, 1]), tokens=True)
    assert "trained on 8 of 20 training samples" in result["description"]
    monkeypatch.setattr(ca, "MAX_LINEAR_TRAIN", 5000)
    monkeypatch.setattr(ca, "MAX_LINEAR_VALUES", 100 * 4)  # 2x2 images: 100 rows at most
    pixels = np.zeros((300, 2, 2, 1))
    pixels[1::2, 0, 0, 0] = 1.0
    labels = np.array([0, 1] * 150)
    result = ca.linear_baseline(pixels, labels, pixels[:2], labels[:2], tokens=False)
    assert "trained on 100 of 300" in result["description"]


@pytest.mark.parametrize("damage", [
    {"baselines": [{"name": 1, "metrics": {}}]},
    {"baselines": [{"name": "naive", "metrics": {"rmse": "low"}}]},
    {"per_class": [{"label": "a", "precision": 1, "recall": 1, "f1": 1}]},  # no support
    {"confused_pairs": [["a", "b", 3]]},
    {"worst": [{"index": 0, "label": "a", "predicted": "b", "confidence": 0.9, "source": 7}]},
    {"notes": "not a list"},
    {"higher_is_better": "yes"},
])
def test_a_damaged_analysis_in_evaluation_json_is_not_trusted(damage):
    from dlterm.evaluate import evaluation_of

    sound = {"metrics": {"rmse": 1.0}, "headline": "rmse", "higher_is_better": False, "notes": ["n"],
             "baselines": [{"name": "naive", "description": "next = last", "metrics": {"rmse": 2.0}}],
             "per_class": [{"label": "a", "precision": 1.0, "recall": 0.5, "f1": 0.6, "support": 2}],
             "confused_pairs": [{"true": "a", "predicted": "b", "count": 1}],
             "worst": [{"index": 0, "label": "a", "predicted": "b", "confidence": 0.9, "source": None}]}
    assert evaluation_of(SimpleNamespace(record=lambda name: sound)) == sound
    assert evaluation_of(SimpleNamespace(record=lambda name: {**sound, **damage})) is None


def test_a_negative_worst_count_is_refused_before_anything_is_loaded():
    from dlterm.errors import DltermError
    from dlterm.evaluate import evaluate_run

    with pytest.raises(DltermError, match="--worst -1 is out of range"):
        evaluate_run(None, "best", worst=-1)
