"""Training on real and user-provided data through the CLI's data options."""

import json
import sys

import numpy as np
import pytest
from PIL import Image

from tests.conftest import run_cli_here as run_cli

pytestmark = pytest.mark.slow


def summary_of(result):
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()][-1]


def test_mnist_through_the_keras_cache(env, tmp_path, shared_datasets):
    from tests.conftest import REPO

    sys.path.insert(0, str(REPO / "bench"))
    from common import build_mnist_npz

    build_mnist_npz(tmp_path / "keras")
    env["KERAS_HOME"] = str(tmp_path / "keras")
    result = run_cli(["train", "cnn", "--dataset", "mnist", "--epochs", "2", "--set", "data.limit=2000", "--json"], env)
    summary = summary_of(result)
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[1]["sizes"] == {"train": 1700, "val": 300, "test": 500}
    assert summary["best"]["value"] > 0.8  # real digits, 2 epochs on 1,700 images


def test_image_folder_via_data(env, tmp_path):
    rng = np.random.default_rng(0)
    for cls, brightness in (("dark", 40), ("light", 215)):
        (tmp_path / "imgs" / cls).mkdir(parents=True)
        for i in range(30):
            pixels = np.clip(rng.normal(brightness, 30, (20, 24, 3)), 0, 255).astype("uint8")
            mode = "RGB" if i % 2 else "RGBA"
            Image.fromarray(pixels).convert(mode).save(tmp_path / "imgs" / cls / f"{i}.png")
    result = run_cli(["train", "cnn", "--data", str(tmp_path / "imgs"), "--image-size", "16", "--epochs", "3",
                      "--set", "blocks=2", "--set", "filters=4", "--batch-size", "8", "--json"], env)
    summary = summary_of(result)
    start = next(json.loads(line) for line in result.stdout.splitlines() if '"run_start"' in line)
    assert start["class_names"] == ["dark", "light"] and start["steps_per_epoch"] == 6  # ceil(42 / 8)
    assert summary["status"] == "completed"


def test_csv_via_data_with_column(env, shared_datasets):
    result = run_cli(["train", "gru", "--data", str(shared_datasets / "AAPL.csv"), "--column", "Close", "--column", "Volume",
                      "--window", "20", "--epochs", "1", "--set", "units=8", "--set", "layers=1", "--json"], env)
    summary = summary_of(result)
    assert summary["status"] == "completed"
    show = json.loads(run_cli(["show", summary["run_id"], "--json"], env).stdout)
    assert show["config"]["data"]["column"] == "Close,Volume"
    values = [f"{v},{1e6 + v}" for v in np.linspace(150, 160, 20)]
    pred = run_cli(["predict", summary["run_id"], *values, "--json"], env)
    assert pred.returncode == 0, pred.stderr
    assert json.loads(pred.stdout)[0]["target"] == "Close"
