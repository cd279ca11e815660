"""The CLI as people read it: help at 80 columns, task-filtered options, dataset details.

Rendered in-process with typer's CliRunner (no TensorFlow, milliseconds per command).
"""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from dlterm.cli.app import app


def all_commands(command=None, path=()) -> list[list[str]]:
    """Every command path of the CLI, groups included (new commands are checked too)."""
    import typer

    command = command or typer.main.get_command(app)
    paths = [list(path)]
    for name, sub in getattr(command, "commands", {}).items():
        paths += all_commands(sub, (*path, name))
    return paths


COMMANDS = all_commands()


def cli(*args: str, width: int = 80):
    return CliRunner().invoke(app, list(args), terminal_width=width)


def help_text(command: list[str]) -> str:
    result = cli(*command, "--help")
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "dlterm")
def test_help_fits_80_columns_and_reads_cleanly(command):
    text = help_text(command)
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    assert "<bool>" not in text  # a flag takes no value
    options = [line for line in lines if line.lstrip().startswith("-")]
    assert not any("<list[" in line for line in options)  # repeatable options name their value
    commands = text.split("\nCommands:\n", 1)[1] if "\nCommands:\n" in text else ""
    assert not any(line.endswith("...") for line in commands.splitlines()), commands  # summaries not cut
    # The help column is wide enough that descriptions never wrap a word per line.
    one_word = [i for i, line in enumerate(lines) if line.startswith(" " * 20) and len(line.split()) == 1]
    assert not any(b == a + 1 for a, b in zip(one_word, one_word[1:])), text


def test_train_help_keeps_bracketed_config_sections():
    text = re.sub(r"\s+", " ", help_text(["train"]))
    assert "TOML file with [hyperparameters], [training], [data]" in text
    assert "--augment / --no-augment" in text


def option_names(output: str) -> set[str]:
    """First words of the training-options table rows of `dlterm plugins show`."""
    table = output.split("training options", 1)[1]
    return {line.split()[0] for line in table.splitlines()[1:] if line.strip()}


@pytest.mark.parametrize("plugin", ["lstm", "bilstm", "seq2seq", "charlstm"])
def test_plugins_show_lists_no_image_augmentation_for_other_tasks(plugin):
    result = cli("plugins", "show", plugin, width=200)
    assert result.exit_code == 0, result.output
    names = option_names(result.output)
    assert "epochs" in names and "learning_rate" in names
    assert names.isdisjoint({"augment", "rotation", "shift", "flip", "zoom", "shear"})


def test_plugins_show_lists_augmentation_for_image_tasks():
    result = cli("plugins", "show", "cnn", width=200)
    assert {"augment", "rotation", "flip"} <= option_names(result.output)


def test_task_declares_its_training_options():
    from dlterm.tasks import get_task

    image, series = get_task("image-classification"), get_task("sequence-forecasting")
    assert image.option_applies("zoom") and not series.option_applies("zoom") and series.option_applies("patience")


def test_datasets_show_lists_settings():
    result = cli("datasets", "show", "seasonal", width=120)
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.output.splitlines() if line.strip()}
    assert rows["window"][1:3] == ["int", "12"] and rows["length"][1:3] == ["int", "600"]
    assert "dlterm datasets sample seasonal" in result.output


def refusal(result) -> str:
    """The DltermError a command raised (dlterm.__main__ prints it as one line, exit 2)."""
    from dlterm.errors import DltermError

    assert isinstance(result.exception, DltermError), result.output
    assert result.exception.exit_code == 2
    return result.exception.message


def test_datasets_show_unknown_name_is_refused():
    assert "unknown dataset 'nope'" in refusal(cli("datasets", "show", "nope"))


@pytest.mark.parametrize("name,pattern", [("shapes", "*.png"), ("seasonal", "series.csv"), ("phrases", "phrase-*.txt"),
                                          ("dates", "date-*.txt"), ("pydoc", "seed-*.txt")])
def test_datasets_sample_writes_inputs_predict_reads(name, pattern, tmp_path):
    result = cli("datasets", "sample", name, "-o", str(tmp_path / "s"), "-n", "3")
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / "s").glob(pattern))
    assert files and all(f.stat().st_size > 0 for f in files)
    assert "next: dlterm predict latest" in result.output


def test_sample_inputs_have_the_trained_form(tmp_path):
    from PIL import Image

    from dlterm.datasets import get_dataset
    from dlterm.datasets.samples import write_samples

    images = write_samples(get_dataset("shapes"), tmp_path, 4)
    assert [p.name.split("-")[0] for p in images] == ["disc", "square", "triangle", "cross"]
    assert Image.open(images[0]).size == (28, 28)
    (series,) = write_samples(get_dataset("seasonal"), tmp_path, 1)
    lines = series.read_text().splitlines()
    assert lines[0] == "value" and len(lines) == 121 and all(float(v) > 0 for v in lines[1:])


def test_datasets_sample_never_replaces_a_file_without_force(tmp_path):
    (tmp_path / "series.csv").write_text("mine")
    assert "already exists" in refusal(cli("datasets", "sample", "seasonal", "-o", str(tmp_path)))
    assert (tmp_path / "series.csv").read_text() == "mine"
    assert cli("datasets", "sample", "seasonal", "-o", str(tmp_path), "--force").exit_code == 0
    assert (tmp_path / "series.csv").read_text().startswith("value\n")


def test_datasets_sample_refuses_a_dataset_without_samples(tmp_path):
    assert "has no sample inputs" in refusal(cli("datasets", "sample", "mnist", "-o", str(tmp_path)))


def test_new_plugin_in_a_custom_folder_says_how_it_is_found(tmp_path, monkeypatch):
    monkeypatch.delenv("DLTERM_PLUGIN_PATH", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    folder = tmp_path / "mine"
    result = cli("new-plugin", "myarch", "--plugin-dir", str(folder), width=200)
    assert result.exit_code == 0, result.output
    assert (folder / "myarch.py").is_file()
    assert f"--plugin-dir {folder}" in result.output and f"DLTERM_PLUGIN_PATH={folder}" in result.output


# -- JSON output: one naming scheme, a schema version, --json honoured ---------------------

def test_runs_and_show_json_name_the_run_run_id_with_a_schema(tmp_path):
    import json

    from dlterm.events import SCHEMA_VERSION
    from dlterm.runstore import RunStore

    run = RunStore(tmp_path).create("cnn", {"task": "image-classification", "dataset": "shapes",
                                            "config": {"hyperparameters": {}, "training": {"epochs": 1}, "data": {}}})
    run.release()
    listed = json.loads(cli("runs", "--json", "--models-dir", str(tmp_path)).output)
    shown = json.loads(cli("show", run.id, "--json", "--models-dir", str(tmp_path)).output)
    for doc in (listed[0], shown):
        assert doc["run_id"] == run.id and doc["id"] == run.id  # id: the old name, kept
        assert doc["schema"] == SCHEMA_VERSION


def test_every_json_list_item_and_event_carries_the_schema():
    import json

    from dlterm.events import SCHEMA_VERSION, make_event

    for args in (["plugins", "--json"], ["datasets", "--json"], ["datasets", "show", "dates", "--json"]):
        doc = json.loads(cli(*args).output)
        assert all(item["schema"] == SCHEMA_VERSION for item in (doc if isinstance(doc, list) else [doc]))
    assert make_event("summary", "r")["schema"] == SCHEMA_VERSION


def test_launch_honours_json_given_to_train(monkeypatch):
    import json

    import dlterm.launch

    seen = {}

    def fake_launch(args, workers, show):
        seen["args"] = args
        show({"event": "summary", "run_id": "r", "status": "completed"})
        return 0

    monkeypatch.setattr(dlterm.launch, "launch_local", fake_launch)
    result = cli("launch", "--workers", "2", "--", "train", "cnn", "--json")
    assert result.exit_code == 0 and seen["args"][-1] == "--json"
    assert json.loads(result.output.strip())["event"] == "summary"  # a JSON line, not the progress display


# -- output formatting -----------------------------------------------------------------------

def keras_summary(rows: list[tuple[str, str, str, str]]) -> str:
    """A model summary laid out as tf-keras writes it with line_length=88 (four columns)."""
    body = [f" {a:<24}{b:<26}{c:<9}{d:<28}" for a, b, c, d in rows]
    return "\n".join(['Model: "model"', "_" * 88, body[0], "=" * 88, *body[1:], "=" * 88,
                      "Total params: 4850 (18.95 KB)", "_" * 88]) + "\n"


SUMMARY_ROWS = [("Layer (type)", "Output Shape", "Param #", "Connected to"),
                ("encoder_source_tokens (", "[(None, None)]", "0", "[]"),
                ("InputLayer)", "", "", ""),
                ("embedding (Embedding)", "(None, None, 8)", "400", "['encoder_source_tokens[0]["),
                ("", "", "", "0]']"),
                ("lstm (LSTM)", "[(None, 16),", "1600", "['embedding[0][0]']")]


def test_model_summary_is_narrowed_not_wrapped():
    from dlterm.views import fit_columns

    text = keras_summary(SUMMARY_ROWS)
    assert max(len(line.rstrip()) for line in text.splitlines()) > 80  # the problem: wider than a terminal
    narrowed = fit_columns(text, 80)
    lines = narrowed.splitlines()
    assert len(lines) == len(text.splitlines()) and max(len(line) for line in lines) <= 80
    assert [line.split() for line in lines if "_" not in line and "=" not in line] == \
           [line.split() for line in text.splitlines() if "_" not in line and "=" not in line]  # same words, same rows
    embedding = next(line for line in lines if "embedding (Embedding)" in line)
    assert embedding.index("400") < embedding.index("['encoder")  # columns still line up
    assert fit_columns("short\n", 80) == "short\n"


def test_show_prints_the_summary_within_80_columns(tmp_path):
    from dlterm.runstore import SUMMARY_TXT, RunStore

    run = RunStore(tmp_path).create("cnn", {"task": "image-classification", "dataset": "shapes",
                                            "config": {"hyperparameters": {}, "training": {"epochs": 1}, "data": {}}})
    run.file(SUMMARY_TXT).write_text(keras_summary(SUMMARY_ROWS))
    run.release()
    result = cli("show", run.id, "--models-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    model = result.output.split("model:", 1)[1].splitlines()
    assert any("embedding (Embedding)" in line and "['encoder_source_tokens[0][" in line for line in model)  # one row
    assert max(len(line) for line in model) <= 80


def test_export_table_shows_every_part_uncut_at_80_columns():
    from rich.console import Console

    from dlterm.cli.app import exports_table

    folder = "/runs/seq2seq-1/exports/"
    record = {"format": "tflite", "quantize": "float16", "path": folder + "model.encoder.float16.tflite",
              "files": [folder + "model.encoder.float16.tflite", folder + "model.decoder.float16.tflite"],
              "size_bytes": 812_000, "max_abs_error": 1.2e-3, "metric": "char_accuracy",
              "keras_metric": 0.8123, "export_metric": 0.8119, "verified": True}
    console = Console(width=80, record=True, file=__import__("io").StringIO())
    console.print(exports_table([record]))
    text = console.export_text()
    assert "model.encoder.float16.tflite" in text and "model.decoder.float16.tflite" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_seq2seq_says_which_accuracy_is_teacher_forced_and_which_decoded():
    import io

    from rich.console import Console

    from dlterm.cli.progress import ProgressDisplay

    out = io.StringIO()
    display = ProgressDisplay(Console(file=out, width=100, force_terminal=False, highlight=False))
    for event in [{"event": "run_start", "params": 10, "epochs": 1, "steps_per_epoch": 1, "initial_epoch": 0,
                   "monitor": "val_accuracy", "task": "sequence-to-sequence"},
                  {"event": "evaluated", "samples": 50, "metrics": {"exact_match": 0.02, "char_accuracy": 0.18}}]:
        display(event)
    text = out.getvalue()
    assert "val_accuracy: teacher-forced" in text and "char_accuracy: decoded" in text


def test_metric_notes_come_from_the_task_and_only_where_a_name_misleads():
    from dlterm.tasks import get_task
    from dlterm.views import metric_notes

    seq2seq = get_task("sequence-to-sequence")
    assert seq2seq.metric_note("val_accuracy").startswith("teacher-forced") and "validation" in seq2seq.metric_note("val_accuracy")
    assert get_task("image-classification").metric_note("accuracy") == ""  # plain accuracy needs no note
    assert metric_notes(get_task("sequence-forecasting").metric_note, ["loss", "rmse_vs_naive"]) == \
        ["[dim]  rmse_vs_naive: rmse / naive_rmse: below 1 beats next = last[/]"]


# -- predict and plugin errors that name the real problem -----------------------------------

class TextPredictor:
    task = "text-classification"


def test_text_model_refuses_an_existing_image_path(tmp_path, monkeypatch):
    from dlterm.predict import read_inputs
    from dlterm_edge.errors import InferenceError

    monkeypatch.chdir(tmp_path)
    (tmp_path / "photo.png").write_bytes(b"x")
    (tmp_path / "review.txt").write_text("a fine film")
    with pytest.raises(InferenceError, match="photo.png is an image, but this model reads text"):
        read_inputs(TextPredictor(), ["photo.png"])
    # no such image, or a text file's path (@FILE reads one): text as typed
    assert read_inputs(TextPredictor(), ["missing.png", "review.txt"]) == ["missing.png", "review.txt"]


def test_tflite_without_metadata_names_the_missing_sidecar(tmp_path):
    from dlterm_edge.metadata import no_metadata_message

    message = no_metadata_message(tmp_path / "model.int8.tflite")
    assert "model.int8.tflite.json is missing" in message
    assert "model.onnx has no dlterm metadata" in no_metadata_message(tmp_path / "model.onnx")


def test_a_wrapped_download_error_shows_its_real_cause():
    from dlterm.errors import cause_of

    try:
        try:
            raise OSError(-3, "Temporary failure in name resolution")
        except OSError as inner:
            raise Exception(f"URL fetch failure on https://x/w.h5: None -- {inner.strerror}") from None
    except Exception as e:  # what Keras's get_file raises offline
        assert cause_of(e) == "URL fetch failure on https://x/w.h5: None -- Temporary failure in name resolution"
    try:
        try:
            raise ConnectionResetError("peer reset")
        except ConnectionResetError:
            raise Exception()  # noqa: B904 - a message-less wrapper
    except Exception as e:
        assert cause_of(e) == "ConnectionResetError: peer reset"


def test_imagenet_failure_in_the_transfer_plugins_reports_the_cause():
    from dlterm.errors import DltermError
    from plugins._transfer import _imagenet

    def offline(shape, weights):
        raise Exception("URL fetch failure on https://x/w.h5: None -- no network")

    with pytest.raises(DltermError, match="no network") as info:
        _imagenet(offline, (96, 96, 3), "mobilenet")
    assert ": Exception" not in info.value.message
