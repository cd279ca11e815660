"""compare and report on hand-made run folders: no TensorFlow, milliseconds each."""

from __future__ import annotations

import json
import re

import pytest

from dlterm.compare import compare_runs, differing, settings_of
from dlterm.errors import DltermError
from dlterm.report import build_report, confused_pairs, per_class, write_report
from dlterm.runstore import RunStore
from dlterm.svgplot import heatmap, line_chart, nice_ticks
from dlterm.views import comparison_rows, markdown_table
from tests.unit.run_folders import make_run

HOSTILE = '<script>alert(1)</script>'


CLASSIFIED = {"run_id": "x", "checkpoint": "best", "samples": 20, "metrics": {"accuracy": 0.75},
              "class_names": ["disc", HOSTILE], "confusion_matrix": [[8, 2], [3, 7]]}
EXPORT = {"format": "onnx", "quantize": "none", "path": "model.onnx", "metric": "accuracy", "max_abs_error": 1e-6,
          "keras_metric": 0.75, "export_metric": 0.75, "size_bytes": 2_500_000, "verified": True}
BENCH = {"rows": [{"variant": "keras (tf.function)", "latency_ms_median": 1.5}, {"variant": "onnx (fp32)", "latency_ms_median": 0.12},
                  {"variant": "tflite (int8)", "status": "error: boom"}]}


def test_compare_keeps_only_differing_settings_and_the_facts_of_each_run(tmp_path):
    make_run(tmp_path, "cnn-1", evaluation=CLASSIFIED, exports=[EXPORT])
    (tmp_path / "cnn-1" / "bench.json").write_text(json.dumps(BENCH))
    make_run(tmp_path, "cnn-2", lr=0.01, history="epoch,loss\n1,2.0\n")
    store = RunStore(tmp_path)
    result = compare_runs([store.get("cnn-1"), store.get("cnn-2")])
    assert result["settings"] == {"training.learning_rate": [0.001, 0.01]}
    first, second = result["runs"]
    assert first["wall_seconds"] == pytest.approx(12.5)  # the epochs' own times, not finished - created
    assert second["wall_seconds"] == pytest.approx(100.0)  # no per-epoch times: created -> finished
    assert first["final"] == {"loss": 0.9, "accuracy": 0.7, "val_loss": 1.1, "val_accuracy": 0.75}
    assert first["test"] == {"accuracy": 0.75} and second["test"] == {}
    assert first["exports"][0]["size_bytes"] == 2_500_000 and first["exports"][0]["latency_ms"] == 0.12
    header, rows = comparison_rows(result)
    table = {row[0]: row[1:] for row in rows}
    assert header == ["", "cnn-1", "cnn-2"]
    assert table["training.learning_rate"] == ["0.001", "0.01"]
    assert table["best (epoch)"] == ["val_accuracy 0.7500 (2)"] * 2
    assert table["test accuracy"] == ["0.7500", "-"]
    assert table["export onnx"] == ["2.50 MB, 0.120 ms", "-"]  # latency from the last `dlterm bench`
    assert table["keras latency"] == ["1.500 ms", "-"]
    assert table["training time"] == ["12.5 s", "1 min 40 s"]


def test_settings_a_run_lacks_differ_and_identical_ones_are_dropped():
    a = settings_of({"plugin": "cnn", "dataset": "d", "config": {"hyperparameters": {"x": 1, "same": [1, 2]}}})
    b = settings_of({"plugin": "lenet5", "dataset": "d", "config": {"hyperparameters": {"same": [1, 2]}}})
    assert differing([a, b]) == {"plugin": ["cnn", "lenet5"], "hyperparameters.x": [1, None]}


def test_compare_refuses_damaged_and_repeated_runs(tmp_path):
    make_run(tmp_path, "cnn-1")
    (tmp_path / "cnn-bad").mkdir()
    (tmp_path / "cnn-bad" / "run.json").write_text("{not json")
    store = RunStore(tmp_path)
    with pytest.raises(DltermError, match="damaged"):
        compare_runs([store.get("cnn-1"), store.get("cnn-bad", allow_damaged=True)])
    with pytest.raises(DltermError, match="named twice"):
        compare_runs([store.get("cnn-1"), store.get("cnn-1")])


def test_malformed_records_leave_fields_empty_instead_of_failing(tmp_path):
    make_run(tmp_path, "cnn-1", best={"monitor": "val_accuracy", "value": float("inf"), "epoch": 1},
             history="epoch,loss,seconds\n1,nan,oops\n")
    (tmp_path / "cnn-1" / "exports.json").write_text('[{"format": "onnx"}, 3]')
    (tmp_path / "cnn-1" / "evaluation.json").write_text('{"metrics": "none"}')
    facts = compare_runs([RunStore(tmp_path).get("cnn-1")])["runs"][0]
    assert facts["best"] is None and facts["exports"] == [] and facts["test"] == {}
    assert facts["final"] == {} and facts["wall_seconds"] == 100.0
    assert "No test evaluation" in build_report([RunStore(tmp_path).get("cnn-1")])  # the report still renders


def test_markdown_escapes_pipes_and_line_breaks():
    text = markdown_table(["", "a|b"], [["x\ny", "1"]])
    assert text.splitlines() == ["|  | a\\|b |", "|---|---|", "| x y | 1 |"]


def test_per_class_metrics_and_confusions_from_a_matrix():
    rows = per_class([[8, 2], [3, 7]], ["a", "b"])
    assert rows[0] == {"class": "a", "precision": 8 / 11, "recall": 0.8,
                       "f1": pytest.approx(2 * (8 / 11) * 0.8 / (8 / 11 + 0.8)), "support": 10}
    never_predicted = per_class([[0, 5], [0, 5]], ["a", "b"])[0]
    assert never_predicted["precision"] is None and never_predicted["recall"] == 0.0
    assert confused_pairs([[8, 2], [3, 7]], ["a", "b"]) == [{"true": "b", "predicted": "a", "count": 3},
                                                           {"true": "a", "predicted": "b", "count": 2}]


def test_ticks_are_round_and_cover_the_range():
    assert nice_ticks(0.23, 0.91) == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert nice_ticks(5, 5)[0] <= 5 <= nice_ticks(5, 5)[-1]
    assert nice_ticks(float("nan"), 1) == []


def test_charts_escape_labels_and_drop_points_that_are_not_finite():
    svg = line_chart([(HOSTILE, [1, 2, 3], [1.0, float("nan"), 3.0], "solid")], title=HOSTILE)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    points = re.search(r'points="([^"]+)"', svg).group(1).split()
    assert len(points) == 2  # the NaN is gone, not drawn at 0
    assert "no data" in line_chart([("a", [], [], "solid")])
    cells = heatmap([[8, 2], [3, 7]], ["a", HOSTILE], title="m")
    assert cells.count("<rect") == 4 and "<script>" not in cells


def test_the_report_is_one_self_contained_escaped_page(tmp_path):
    evaluation = {**CLASSIFIED, "headline": "accuracy",
                  "baselines": [{"name": "pixel_logistic", "description": "logistic regression", "metrics": {"accuracy": 0.9}}],
                  "examples": [{"source": HOSTILE, "target": "b", "output": "c", "correct": False}],
                  "sample": {"seed": "ROMEO:", "temperature": 0.8, "text": HOSTILE}}
    make_run(tmp_path, "cnn-1", evaluation=evaluation, exports=[EXPORT], error=HOSTILE, status="failed")
    (tmp_path / "cnn-1" / "bench.json").write_text(json.dumps(BENCH))
    make_run(tmp_path, "lstm-2", task="sequence-forecasting", lr=0.01,
             best={"monitor": "val_loss", "mode": "min", "value": 0.1, "epoch": 1},
             evaluation={"samples": 3, "metrics": {"rmse": 2.0}, "units": "passengers",
                         "forecast": {"actual": [1.0, 2.0, 3.0], "predicted": [1.5, 2.5, 2.0]}})
    store = RunStore(tmp_path)
    html = build_report([store.get("cnn-1"), store.get("lstm-2")])
    assert "<script" not in html.lower() and HOSTILE not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched at view time
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4  # class name, example, sample, error
    assert "Confusion matrix" in html and "Per class" in html and "Most confused" in html
    assert '<td class="num">0.8000</td>' in html  # recall of "disc", 8 of 10, as a rate
    assert "pixel logistic" in html and "pixel logistic beats the model" in html  # the baselines and their verdict
    assert "Forecast against actual" in html and "passengers" in html
    assert "Decoded test examples" in html and "Generated sample" in html
    assert "model.onnx" in html and "0.12" in html
    assert html.count("<svg") >= 4  # loss and accuracy curves, the heatmap, the forecast
    target = write_report([store.get("cnn-1")], tmp_path / "r.html")
    assert target.read_text().startswith("<!DOCTYPE html>")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_report_target_problems_are_named(tmp_path):
    make_run(tmp_path, "cnn-1")
    run = RunStore(tmp_path).get("cnn-1")
    with pytest.raises(DltermError, match="is a folder"):
        write_report([run], tmp_path)
    with pytest.raises(DltermError, match="does not exist"):
        write_report([run], tmp_path / "missing" / "r.html")


def test_a_forecasters_evaluation_keeps_its_test_forecast_in_original_units():
    from types import SimpleNamespace

    import numpy as np

    from dlterm.tasks.sequence_forecasting import forecast_series

    # Last values 10 and 20; true next values 12 and 18 (scaled changes +1, -1 with scale 2).
    bundle = SimpleNamespace(y_test=np.array([[1.0], [-1.0]]), extra={"last_test": np.array([10.0, 20.0])},
                             preprocessing={"scale": [2.0], "target": "value"})
    result = forecast_series(bundle.y_test, np.array([[1.0], [0.0]]), bundle.extra["last_test"], bundle.preprocessing)
    assert result == {"actual": [12.0, 18.0], "predicted": [12.0, 20.0]}
    json.dumps(result)  # plain floats: evaluation.json takes it as it is


def test_bench_keeps_its_rows_in_the_run_unless_the_run_is_busy(tmp_path):
    from dlterm.benchmark import _save

    make_run(tmp_path, "cnn-1", exports=[EXPORT])
    run = RunStore(tmp_path).get("cnn-1")
    _save(run, BENCH["rows"], 5)
    assert json.loads((tmp_path / "cnn-1" / "bench.json").read_text())["rows"] == BENCH["rows"]
    assert compare_runs([run])["runs"][0]["exports"][0]["latency_ms"] == 0.12
    holder = RunStore(tmp_path).get("cnn-1")
    holder.hold("exporting")
    try:
        _save(run, [], 5)  # busy: the measurement printed is the result, the file keeps the last one
    finally:
        holder.release()
    assert json.loads((tmp_path / "cnn-1" / "bench.json").read_text())["rows"] == BENCH["rows"]
