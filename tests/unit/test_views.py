"""One way to read a run, an export and a prediction, for the CLI and the dashboard alike."""

from dlterm.views import (
    best_text,
    config_lines,
    epochs_text,
    evaluation_line,
    export_line,
    export_row,
    format_metric,
    prediction_line,
    run_header,
    run_row,
    status_markup,
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
