"""The dashboard's view of a training child: its state is a fold of the event stream."""

from dlterm.tui.session import TrainingSession, train_command


def fold(events):
    session = TrainingSession("cnn on shapes", ["dlterm"])
    for event in events:
        session.apply(event)
    return session


def test_a_phased_run_shows_the_phase_it_is_in():
    session = fold([
        {"event": "run_created", "run_id": "mobilenet-1"},
        {"event": "run_start", "epochs": 8, "steps_per_epoch": 10, "initial_epoch": 5, "monitor": "val_accuracy",
         "phases": [{"name": "head", "epochs": 5}, {"name": "fine-tune", "epochs": 3}]},
        {"event": "phase", "name": "fine-tune", "index": 2, "of": 2, "first_epoch": 6, "last_epoch": 8},
    ])
    assert session.phases == [{"name": "head", "epochs": 5}, {"name": "fine-tune", "epochs": 3}]
    assert (session.phase, session.phase_index) == ("fine-tune", 2)
    assert session.epoch == 5 and session.status == "running"


def test_epochs_batches_and_the_summary_fold_into_history_and_status():
    session = fold([
        {"event": "run_created", "run_id": "cnn-1"},
        {"event": "run_start", "epochs": 2, "steps_per_epoch": 4, "initial_epoch": 0, "phases": [{"name": "train", "epochs": 2}]},
        {"event": "batch", "step": 2, "metrics": {"loss": 1.5}},
        {"event": "epoch_end", "epoch": 1, "metrics": {"loss": 1.2, "val_loss": 1.3}, "lr": 0.001, "seconds": 2.0},
        {"event": "failed", "error": "the loss became NaN"},
        {"event": "summary", "status": "failed"},
    ])
    assert session.phase == "" and list(session.batch_losses) == [1.5]
    assert session.history == [{"epoch": 1, "loss": 1.2, "val_loss": 1.3, "lr": 0.001, "seconds": 2.0}]
    assert session.step == 0 and session.epoch == 1
    assert session.status == "failed" and session.error == "the loss became NaN" and not session.active


def test_the_training_command_is_the_cli_call():
    cmd = train_command("cnn", dataset="shapes", settings={"epochs": 3, "augment": True}, models_dir="/m",
                        plugin_dirs=["/p"])
    assert cmd[-9:] == ["--dataset", "shapes", "--set", "epochs=3", "--set", "augment=true", "--models-dir", "/m",
                        "--plugin-dir", "/p"][-9:]
    assert "--json" in cmd and "cnn" in cmd
    resume = train_command(None, resume="cnn-1")
    assert resume[resume.index("--resume") + 1] == "cnn-1" and "cnn" not in resume


def test_a_resumed_run_keeps_the_epochs_before_its_start_and_drops_the_rest():
    session = TrainingSession("cnn on shapes", ["dlterm"])
    session.history = [{"epoch": e, "loss": 1.0 / e} for e in (1, 2, 3, 4)]  # 4 was not saved as resumable
    session.apply({"event": "run_start", "epochs": 6, "steps_per_epoch": 4, "initial_epoch": 3, "phases": []})
    session.apply({"event": "epoch_end", "epoch": 4, "metrics": {"loss": 0.2}, "lr": 0.001, "seconds": 1.0})
    assert [row["epoch"] for row in session.history] == [1, 2, 3, 4]
    assert session.history[-1]["loss"] == 0.2


def test_the_picker_label_names_id_and_status():
    session = fold([{"event": "run_created", "run_id": "cnn-7"}])
    assert session.picker_label == "cnn-7 · running · cnn on shapes"


def test_a_session_stopped_before_its_child_exists_stops_the_child_once_started():
    """The app closing while a child is being spawned: the child must not run on unwatched."""
    import asyncio
    import sys
    import time

    session = TrainingSession("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"])
    session.stop()  # before run(): no process yet
    start = time.monotonic()
    code = asyncio.run(asyncio.wait_for(session.run(lambda s, e: None), 30))
    assert code != 0 and time.monotonic() - start < 30 and session.status == "failed"
