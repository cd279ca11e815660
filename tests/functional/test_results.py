"""compare, report and the TensorBoard HParams summary on real runs of every task kind.

The runs are the session's shared tiny runs (trained once, then copied), so these tests
only read them: one CLI call each, in-process.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dlterm.cli.app import app

KINDS = ("cnn", "lstm", "bilstm", "seq2seq", "charlstm")
# What each task's part of the report must show.
TASK_SECTIONS = {"cnn": "Confusion matrix", "bilstm": "Per class", "lstm": "Forecast against actual",
                 "seq2seq": "Decoded test examples", "charlstm": "Generated sample"}


@pytest.fixture
def every_kind(run_copy):
    """One models folder holding a run of every task kind (run_copy copies into one folder)."""
    copies = {kind: run_copy(kind) for kind in KINDS}
    assert len({models for models, _ in copies.values()}) == 1
    return copies[KINDS[0]][0], {kind: run_id for kind, (_, run_id) in copies.items()}


@pytest.mark.slow
def test_compare_and_report_cover_a_run_of_every_task(every_kind, tmp_path):
    models, ids = every_kind
    runner = CliRunner()
    result = runner.invoke(app, ["compare", *ids.values(), "--json", "--models-dir", str(models)])
    assert result.exit_code == 0, result.output
    comparison = json.loads(result.output)
    assert [r["id"] for r in comparison["runs"]] == list(ids.values())
    assert comparison["settings"]["plugin"] == list(KINDS)
    for facts in comparison["runs"]:
        assert facts["epochs"] == 1 and facts["params"] > 0 and facts["wall_seconds"] > 0
        assert facts["best"]["value"] is not None and facts["test"], facts["id"]  # every task evaluated on test
    markdown = runner.invoke(app, ["compare", *ids.values(), "--markdown", "--models-dir", str(models)])
    assert markdown.exit_code == 0 and markdown.output.startswith("|  | ") and "| parameters |" in markdown.output

    target = tmp_path / "report.html"
    result = runner.invoke(app, ["report", *ids.values(), "-o", str(target), "--models-dir", str(models)])
    assert result.exit_code == 0, result.output
    html = target.read_text()
    sections = html.split("<section>")[1:]
    assert len(sections) == len(KINDS)
    for kind, section in zip(KINDS, sections):
        assert ids[kind] in section and TASK_SECTIONS[kind] in section, kind
    assert html.count("<svg") >= 2 + 3  # loss curves (+ metric curves), 2 heatmaps, the forecast


@pytest.mark.slow
def test_a_run_writes_its_settings_for_tensorboards_hparams_tab(shared_run):
    folder = shared_run("cnn") / "tensorboard"
    top_level = [p.read_bytes() for p in folder.glob("events.out.tfevents.*")]
    assert any(b"_hparams_/session_start_info" in data and b"hyperparameters.filters" in data for data in top_level)
    assert list((folder / "train").glob("events.out.tfevents.*"))  # the metrics the HParams tab reads
