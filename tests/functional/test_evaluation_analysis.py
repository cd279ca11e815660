"""Every evaluation carries its baselines and, for classifiers, per-class analysis.

The runs are the session's shared tiny runs (trained once; their evaluation.json was
written when training finished); the CLI runs in-process through Typer's runner.
"""

import json

import pytest
from typer.testing import CliRunner

from dlterm.cli.app import app

pytestmark = pytest.mark.slow  # needs a trained run (shared with the session)


def cli(*args):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


def saved_evaluation(run_dir):
    return json.loads((run_dir / "evaluation.json").read_text())


def test_an_image_classifier_lists_per_class_scores_a_linear_baseline_and_its_worst_examples(run_copy):
    models, run_id = run_copy("cnn")
    text = cli("evaluate", run_id, "--worst", 3, "--models-dir", models)
    result = saved_evaluation(models / run_id)  # what --json prints
    names = result["class_names"]
    assert [c["label"] for c in result["per_class"]] == names
    assert sum(c["support"] for c in result["per_class"]) == result["samples"]
    assert [b["name"] for b in result["baselines"]] == ["majority", "pixel_logistic"]
    assert 0 <= result["baselines"][1]["metrics"]["accuracy"] <= 1
    worst = result["worst"]
    assert len(worst) <= 3 and all(w["label"] != w["predicted"] for w in worst)
    assert [w["confidence"] for w in worst] == sorted((w["confidence"] for w in worst), reverse=True)
    pairs = result["confused_pairs"]
    matrix = result["confusion_matrix"]
    assert all(p["count"] == matrix[names.index(p["true"])][names.index(p["predicted"])] for p in pairs)
    assert "baselines (same test split)" in text and "pixel logistic" in text and "per class" in text
    assert ("most confidently wrong" in text) == bool(worst)


def test_a_forecaster_is_judged_against_seasonal_naive_and_a_linear_model(shared_run):
    run_dir = shared_run("lstm")  # the generated seasonal series: a 12-step cycle
    ev = saved_evaluation(run_dir)
    baselines = {b["name"]: b for b in ev["baselines"]}
    assert list(baselines) == ["naive", "seasonal_naive", "linear_ar"]
    assert baselines["seasonal_naive"]["period"] == 12 and baselines["seasonal_naive"]["period_source"] == "detected"
    assert baselines["naive"]["metrics"]["rmse"] == pytest.approx(ev["metrics"]["naive_rmse"])
    assert ev["headline"] == "rmse" and ev["higher_is_better"] is False
    shown = cli("show", run_dir.name, "--models-dir", run_dir.parent)
    assert "seasonal naive" in shown and ("beats the model" in shown or "the model beats every baseline" in shown)


def test_a_text_classifier_has_a_tfidf_baseline_and_shows_the_texts_it_got_wrong(shared_run):
    ev = saved_evaluation(shared_run("bilstm"))
    assert [b["name"] for b in ev["baselines"]] == ["majority", "tfidf_logistic"]
    assert all(isinstance(w["source"], str) and w["source"] for w in ev["worst"])
    assert {c["label"] for c in ev["per_class"]} == {"negative", "positive"}
