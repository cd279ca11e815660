"""dlterm runs: filters, sorting and CSV over hand-made run folders (no TensorFlow)."""

from __future__ import annotations

import csv
import io

import pytest

from dlterm.errors import DltermError
from dlterm.runlist import filter_runs, runs_csv, sort_runs
from dlterm.runstore import RunStore
from tests.unit.run_folders import make_run


@pytest.fixture
def runs(tmp_path):
    make_run(tmp_path, "cnn-a", created=1.0, best={"monitor": "val_accuracy", "mode": "max", "value": 0.6, "epoch": 1})
    make_run(tmp_path, "cnn-b", created=2.0, dataset="mnist", status="failed", params=99,
             best={"monitor": "val_accuracy", "mode": "max", "value": 0.9, "epoch": 2})
    make_run(tmp_path, "lstm-c", created=3.0, task="sequence-forecasting",
             best={"monitor": "val_loss", "mode": "min", "value": 0.2, "epoch": 2})
    make_run(tmp_path, "lstm-d", created=4.0, task="sequence-forecasting", plugin="=HYPERLINK(\"x\")",
             best={"monitor": "val_loss", "mode": "min", "value": 0.1, "epoch": 2})
    return RunStore(tmp_path).runs()


def ids(runs):
    return [r.id for r in runs]


def test_filters_combine_and_each_takes_several_values(runs):
    assert ids(filter_runs(runs, plugin=["cnn"])) == ["cnn-b", "cnn-a"]
    assert ids(filter_runs(runs, plugin=["cnn"], dataset=["shapes"])) == ["cnn-a"]
    assert ids(filter_runs(runs, status=["failed", "completed"], dataset=["mnist"])) == ["cnn-b"]
    with pytest.raises(DltermError, match="unknown status 'done'"):
        filter_runs(runs, status=["done"])


def test_sorting_best_groups_by_monitor_and_puts_the_better_value_first(runs):
    assert ids(sort_runs(runs, "best")) == ["cnn-b", "cnn-a", "lstm-d", "lstm-c"]  # max 0.9 > 0.6; min 0.1 < 0.2
    assert ids(sort_runs(runs, "created")) == ["lstm-d", "lstm-c", "cnn-b", "cnn-a"]
    assert ids(sort_runs(runs, "params"))[-1] == "cnn-b"  # 99 parameters: the smallest last
    assert ids(sort_runs(runs, "plugin"))[0] == "lstm-d"  # "=" sorts before letters
    with pytest.raises(DltermError, match="cannot sort runs by 'size'"):
        sort_runs(runs, "size")


def test_csv_has_one_row_per_run_and_no_formulas(runs):
    rows = list(csv.DictReader(io.StringIO(runs_csv(runs))))
    assert [r["id"] for r in rows] == ids(runs)
    by_id = {r["id"]: r for r in rows}
    assert by_id["cnn-b"]["best_value"] == "0.9" and by_id["cnn-b"]["status"] == "failed"
    assert by_id["cnn-b"]["params"] == "99" and by_id["cnn-a"]["created"].startswith("1970-01-01")
    assert by_id["lstm-d"]["plugin"] == "'=HYPERLINK(\"x\")"  # a spreadsheet shows it, never runs it


def test_the_runs_command_filters_sorts_and_writes_csv(runs, tmp_path):
    from typer.testing import CliRunner

    from dlterm.cli.app import app

    result = CliRunner().invoke(app, ["runs", "--plugin", "cnn", "--sort", "best", "--csv", "--models-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert [line.split(",")[0] for line in result.output.splitlines()] == ["id", "cnn-b", "cnn-a"]
    result = CliRunner().invoke(app, ["runs", "--status", "interrupted", "--models-dir", str(tmp_path)])
    assert result.exit_code == 0 and "no run matches (of 4" in result.output
