"""One way to read a run, an export and a prediction, for the CLI and the dashboard alike."""

from dlterm.views import (
    baseline_table,
    baseline_verdict,
    best_text,
    config_lines,
    confused_line,
    epochs_text,
    evaluation_line,
    export_line,
    export_row,
    format_metric,
    per_class_rows,
    prediction_line,
    run_header,
    run_row,
    status_markup,
    worst_rows,
)

META = {"id": "mobilenet-20261125-101500", "plugin": "mobilenet", "dataset": "images", "created": 0,
        "epochs_completed": 8, "epochs_planned": 8, "params": 410_000,
        "config": {"hyperparameters": {"alpha": "0.35"}, "training": {"epochs": 5}, "data": {"path": "/d/[x]"}},
        "best": {"monitor": "val_accuracy", "value": 1.0, "epoch": 7}}


def test_epochs_count_every_phase_and_never_read_more_done_than_planned():
    assert epochs_text(META) == "8/8"  # 5 head + 3 fine-tune epochs, not 8/5
    assert epochs_text({"epochs_completed": 10, "config": {"training": {"epochs": 1}}}) == "10/10"
    assert epochs_text({"epochs_completed": 2, "config": {"training": {"epochs": 6}}}) == "2/6"
    assert epochs_text({}) == "0"


def test_metrics_read_right_for_their_kind():
    assert format_metric("val_accuracy", 1.0) == "1.0000"
    assert format_metric("rmse", 27.2449) == "27.24"
    assert format_metric("loss", 2.0) == "2.000"
    assert best_text(META) == "val_accuracy 1.0000" and best_text(META, monitor=False) == "1.0000"
    assert best_text({"best": {"monitor": "x", "value": "oops"}}) == "-"  # a damaged value never crashes a listing


def test_a_run_row_and_header_escape_markup_from_files():
    row = run_row({**META, "id": "[red]x", "dataset": "[b]"}, "completed", short=True)
    assert row["run"] == "\\[red]x" and row["dataset"] == "\\[b]" and row["status"] == "[green]completed[/]"
    assert row["best"] == "1.0000" and row["epochs"] == "8/8"
    header = run_header({**META, "error": "boom [x]"}, "failed")
    assert "410,000" in header[1] and "best val_accuracy 1.0000 (epoch 7)" in header[1]
    assert header[2] == "[red]boom \\[x][/]" and status_markup("failed") == "[red]failed[/]"
    assert config_lines(META, ("data",)) == ["[b]data[/]: path=/d/\\[x]"]


def test_exports_and_evaluations_read_the_same_everywhere():
    record = {"path": "/runs/x/exports/model.int8.tflite", "size_bytes": 260_000, "max_abs_error": 0.0093,
              "metric": "accuracy", "keras_metric": 0.991, "export_metric": 0.9895, "verified": True}
    row = export_row(record)
    assert row == {"file": "model.int8.tflite", "size": "0.26 MB", "max |error|": "9.3e-03",
                   "test metric: keras → export": "accuracy 0.9910 → 0.9895", "verified": "yes"}
    assert export_line({**record, "verified": False}).endswith("[red]not verified[/]")
    assert evaluation_line({"metrics": {"accuracy": 0.5, "rmse": 3.0}}) == "accuracy 0.5000, rmse 3.000"


def test_prediction_lines():
    assert prediction_line({"input": "a.png", "label": "7", "confidence": 0.987}) == "a.png: [b]7[/] (98.7%)"
    long = "x" * 80
    assert prediction_line({"input": long, "label": "pos", "confidence": 0.5}).startswith("x" * 57 + "...")
    assert prediction_line({"target": "Close", "last": 10.0, "forecast": [11.5, 12.0]}) == \
        "next Close (after 10): [b]11.5, 12[/]"
    assert prediction_line({"input": "ROMEO:", "output": "\nAy", "temperature": 0.7}) == "ROMEO:[b]\nAy[/]"
    assert prediction_line({"input": "Go.", "output": "Va !"}) == "Go. → [b]Va ![/]"


def test_the_device_cli_prints_the_same_line_in_plain_text():
    from dlterm_edge.predictor import describe

    assert describe({"input": "Go.", "output": "Va !"}) == "Go. -> Va !"
    long = "a wonderful film " * 20  # longer than a file name may be: never tried as a path
    assert describe({"input": long, "label": "pos", "confidence": 0.5}) == long[:57] + "...: pos (50.0%)"


FORECAST = {"metrics": {"mae": 23.2, "rmse": 27.24}, "headline": "rmse", "higher_is_better": False,
            "baselines": [{"name": "naive", "description": "next = last", "metrics": {"mae": 46.4, "rmse": 53.72}},
                          {"name": "seasonal_naive", "description": "last + the change one period earlier",
                           "metrics": {"mae": 15.0, "rmse": 18.84}}]}


def test_the_baseline_table_puts_the_headline_first_and_the_model_on_top():
    columns, rows = baseline_table(FORECAST)
    assert columns == ["method", "rmse", "mae", "what"]
    assert rows[0][:3] == ["[b]model[/]", "[b]27.24[/]", "[b]23.20[/]"]
    assert rows[2][:3] == ["seasonal naive", "18.84", "15.00"]
    assert baseline_table({"metrics": {"rmse": 1.0}}) == ([], [])


def test_the_verdict_says_when_a_simple_method_wins_in_either_direction():
    assert baseline_verdict(FORECAST) == "[yellow]seasonal naive beats the model[/]: rmse 18.84 against 27.24"
    beaten = {**FORECAST, "metrics": {"rmse": 10.0}}
    assert baseline_verdict(beaten).startswith("the model beats every baseline: rmse 10.00 against 18.84 (seasonal naive")
    accuracy = {"metrics": {"accuracy": 0.9}, "headline": "accuracy", "higher_is_better": True,
                "baselines": [{"name": "pixel_logistic", "metrics": {"accuracy": 0.95}}]}
    assert baseline_verdict(accuracy).startswith("[yellow]pixel logistic beats the model[/]: accuracy 0.9500 against 0.9000")
    assert baseline_verdict({"metrics": {"rmse": 1.0}}) is None


def test_per_class_confused_pairs_and_worst_examples_read_as_rows():
    ev = {"per_class": [{"label": "ants", "precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 3}],
          "confused_pairs": [{"true": "ants", "predicted": "bees", "count": 2}],
          "worst": [{"index": 4, "label": "ants", "predicted": "bees", "confidence": 0.875, "source": "val/ants/[x].jpg"},
                    {"index": 7, "label": "bees", "predicted": "ants", "confidence": 0.6, "source": None}]}
    assert per_class_rows(ev) == [["ants", "0.500", "1.000", "0.667", "3"]]
    assert confused_line(ev) == "most confused (true → predicted): ants → bees ×2"
    assert worst_rows(ev, 1) == [["4", "val/ants/\\[x].jpg", "ants", "bees", "87.5%"]]
    assert worst_rows(ev, 5)[1][1] == "-" and worst_rows({"worst": [{**ev["worst"][0], "source": "w" * 80}]}, 1, 10)[0][1] == "w" * 9 + "…"
    assert confused_line({}) is None
