"""The CLI's progress display: numbers people read, an ETA that moves, one line per epoch."""

import io

from rich.console import Console

from dlterm.cli.progress import Eta, ProgressDisplay, format_eta, format_metric, format_metrics


def test_rates_keep_their_decimals_and_other_metrics_their_point():
    assert format_metric("accuracy", 1.0) == "1.0000"
    assert format_metric("val_accuracy", 0.98765) == "0.9877"
    assert format_metric("loss", 1.0) == "1.000"
    assert format_metric("val_loss", 0.012345) == "0.01235"
    assert format_metric("exact_match", 0.0) == "0.0000"
    assert format_metrics({"loss": 0.5, "accuracy": 1.0}) == "loss 0.5000  acc 1.0000"


def test_eta_follows_the_pace_so_far():
    now = [100.0]
    eta = Eta(clock=lambda: now[0])
    assert eta.remaining(0, 10) is None  # nothing done yet: no pace
    eta.begin(done=2)  # resumed after 2 of 10 epochs
    now[0] = 130.0
    assert eta.remaining(4, 10) == 90.0  # 15 s an epoch, 6 to go
    assert format_eta(90.0) == "0:01:30" and format_eta(3725) == "1:02:05" and format_eta(None) == "-:--:--"


def test_a_run_prints_its_epochs_and_summary_with_readable_numbers():
    out = io.StringIO()
    display = ProgressDisplay(Console(file=out, width=100, force_terminal=False, highlight=False))
    for event in [
        {"event": "run_created", "run_id": "cnn-1", "plugin": "cnn", "dataset": "shapes", "run_dir": "/m/cnn-1"},
        {"event": "run_start", "params": 1234, "epochs": 2, "steps_per_epoch": 5, "initial_epoch": 0,
         "monitor": "val_accuracy"},
        {"event": "batch", "epoch": 1, "step": 3, "steps": 5, "metrics": {"loss": 0.7}},
        {"event": "epoch_end", "epoch": 1, "epochs": 2, "metrics": {"loss": 0.5, "val_accuracy": 1.0}, "lr": 0.001,
         "seconds": 1.25},
        {"event": "summary", "run_id": "cnn-1", "status": "completed", "epochs_completed": 2,
         "best": {"monitor": "val_accuracy", "value": 1.0, "epoch": 1}},
    ]:
        display(event)
    text = out.getvalue()
    assert "epoch 1/2  loss 0.5000  val_acc 1.0000  lr 1.0e-03  1.2s" in text
    assert "completed: 2 epoch(s); best val_accuracy 1.0000 at epoch 1" in text
    assert "model: 1,234 parameters; 2 epochs of 5 steps" in text
