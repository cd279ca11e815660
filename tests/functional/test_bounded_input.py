"""Input is bounded: regular files only, size caps, pixel caps, and a memory estimate
before training. What used to hang (a FIFO), grow without limit (``/dev/zero``), abort a
whole image folder (one 20000x20000 image) or start an impossible run now stops at once
with one line naming the file or setting, the limit and what to do.
"""

import json
import os

import numpy as np
import pytest

from tests.conftest import cli_env, run_cli, run_cli_here
from tests.functional.hostile import CHECK_SECONDS, fifo, png_header, sparse

# plugin -> the dataset kind its --data reads
FILE_DATASETS = {"lstm": "CSV file", "bilstm": "data file", "seq2seq": "data file", "charlstm": "data file"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("bounded")
    files = root / "files"
    files.mkdir()
    fifo(files / "pipe.csv")
    sparse(files / "huge.csv", 2 * 1024 ** 3, b"value\n1\n2\n")  # 2 GiB, no disk used
    os.symlink("loop.txt", files / "loop.txt")
    (files / "wide.csv").write_text("value,note\n" + "".join(f"{i},{'x' * 200_000}\n" for i in range(3)))
    (files / "utf16.txt").write_text("good film\tpositive\n" * 50, encoding="utf-16")
    (files / "folder").mkdir()
    return {"env": cli_env(root), "files": files}


def _one_line_error(result, message: str, code: int = 2) -> None:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and " — " in lines[0], result.stderr
    assert message in lines[0], lines[0]


def _train(world, *args):
    return run_cli(["train", *args], world["env"], timeout=CHECK_SECONDS)


@pytest.mark.parametrize("plugin", sorted(FILE_DATASETS))
def test_a_fifo_as_data_is_refused_not_waited_on(world, plugin):
    _one_line_error(_train(world, plugin, "--data", str(world["files"] / "pipe.csv")),
                    "is a FIFO (named pipe), not a regular file")


@pytest.mark.parametrize("plugin", sorted(FILE_DATASETS))
def test_an_endless_device_as_data_is_refused(world, plugin):
    _one_line_error(_train(world, plugin, "--data", "/dev/zero"), f"{FILE_DATASETS[plugin]} /dev/zero is a device")


@pytest.mark.parametrize("plugin", ["lstm", "charlstm"])
def test_a_data_file_over_the_cap_is_refused_before_reading(world, plugin):
    _one_line_error(_train(world, plugin, "--data", str(world["files"] / "huge.csv")), "is 2 GiB, over the limit of 1 GiB")


@pytest.mark.parametrize("args, message", [
    (["bilstm", "--data", "{files}/loop.txt"], "is a symlink loop"),
    (["charlstm", "--data", "{files}/folder"], "is a folder, not a file"),
    (["lstm", "--data", "{files}/wide.csv"], "not a readable text CSV"),  # a 200 kB field
    (["bilstm", "--data", "{files}/utf16.txt"], "is a binary file, not text"),
    (["bilstm", "--data", "{files}/" + "x" * 300 + ".txt"], "--data path not found"),  # a name too long
])
def test_odd_data_paths(world, args, message):
    _one_line_error(_train(world, *[a.format(files=world["files"]) for a in args]), message)


@pytest.mark.parametrize("args, message", [
    (["cnn", "--set", "data.samples=1000000", "--set", "data.image_size=1024"], "lower data.samples or data.image_size"),
    (["lstm", "--set", "data.length=10000000", "--set", "data.window=10000"], "lower data.length or data.window"),
    (["charlstm", "--set", "data.length=0", "--set", "data.stride=1", "--set", "data.window=10000"],
     "raise data.stride"),
])
def test_impossible_memory_is_refused_before_loading(world, args, message):
    result = _train(world, *args)
    _one_line_error(result, message)
    assert "of memory, but only" in result.stderr


def test_reasonable_settings_pass_the_memory_check():
    from dlterm.datasets.memory import check_dataset_memory, estimate_bytes

    settings = {"samples": 3000, "image_size": 28}
    assert 0 < estimate_bytes("shapes", settings) < 100 * 1024 ** 2
    check_dataset_memory("shapes", settings)  # raises if refused
    assert estimate_bytes("images", {}) is None  # file datasets are checked by their loaders


def test_a_pixel_bomb_in_an_image_folder_is_skipped_with_a_note(tmp_path):
    from PIL import Image

    from dlterm import datasets

    for cls, colour in (("dark", 20), ("light", 230)):
        (tmp_path / cls).mkdir()
        for i in range(4):
            Image.new("L", (10, 10), colour + i).save(tmp_path / cls / f"{i}.png")
    png_header(tmp_path / "dark" / "huge.png", 20000, 20000)
    bundle = datasets.load("images", {"path": str(tmp_path), "image_size": 8}, seed=0)
    assert sum(bundle.sizes().values()) == 8  # every real image, not the bomb
    assert "huge.png (is 20000x20000 pixels, over the limit" in bundle.notes[0]
    assert np.isfinite(bundle.x_train).all()


# -- predict: text is text, files are bounded ----------------------------------------------

@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("textrun")
    env = cli_env(root)
    result = run_cli_here(["train", "bilstm", "--epochs", "1", "--set", "data.samples=120", "--set", "units=4",
                      "--set", "embedding_dim=4", "--set", "dense_units=0", "--json"], env)
    assert result.returncode == 0, result.stderr
    files = root / "files"
    files.mkdir()
    fifo(files / "pipe.txt")
    sparse(files / "big.txt", 20 * 1024 ** 2, b"a long review ")
    (files / "review.txt").write_text("what a wonderful film")
    run_id = json.loads(result.stdout.strip().splitlines()[-1])["run_id"]
    return {"env": env, "files": files, "run": run_id}


@pytest.mark.slow
def test_a_long_text_is_text_not_a_file_name(text_run):
    text = "the acting was good but the ending was awful " * 10  # 460 bytes: longer than a file name may be
    result = run_cli_here(["predict", text_run["run"], text, "--json"], text_run["env"])
    assert result.returncode == 0, result.stderr
    (prediction,) = json.loads(result.stdout)
    assert prediction["input"] == text and prediction["label"] in ("positive", "negative")
    shown = run_cli_here(["predict", text_run["run"], text], text_run["env"])  # the people-readable form too
    assert shown.returncode == 0 and "the acting was good" in shown.stdout, shown.stderr


@pytest.mark.slow
def test_at_file_reads_the_file_and_a_bare_path_stays_text(text_run):
    path = str(text_run["files"] / "review.txt")
    result = run_cli_here(["predict", text_run["run"], "@" + path, path, "--json"], text_run["env"])
    assert result.returncode == 0, result.stderr
    assert [p["input"] for p in json.loads(result.stdout)] == ["what a wonderful film", path]


@pytest.mark.slow
@pytest.mark.parametrize("target, message", [
    ("{files}/pipe.txt", "is a FIFO (named pipe), not a regular file"),
    ("/dev/zero", "text file /dev/zero is a device"),
    ("{files}/big.txt", "is 20 MiB, over the limit of 10 MiB"),
    ("{files}/missing.txt", "text file not found"),
])
def test_at_file_is_bounded(text_run, target, message):
    args = ["predict", text_run["run"], "@" + target.format(files=text_run["files"])]
    if target.startswith("{files}/pipe") or target.startswith("/dev/"):
        # Could hang if the bound broke: a child with a timeout (the model loads first:
        # TensorFlow takes up to a minute on a busy machine). The others run in-process.
        result = run_cli(args, text_run["env"], timeout=240)
    else:
        result = run_cli_here(args, text_run["env"])
    _one_line_error(result, message)
