"""``--config`` files as a careless user or an attacker writes them: wrong types, deep
nesting, FIFOs, devices, huge or binary files, odd paths. Each is one line naming the
problem and exit 2, quickly; a good file at an odd path is read.

Every config here is for ``train cnn``, and the run never starts: the commands stop at a
config check, so no TensorFlow is imported.
"""

import os

import pytest

from tests.conftest import cli_env
from tests.conftest import run_cli_here as run_cli
from tests.functional.hostile import CHECK_SECONDS, fifo, sparse

# file name -> (content, expected part of the error)
BAD = {
    "path_number.toml": (b"[data]\npath = 42\n", "data.path must be text, not a number"),
    "path_bool.toml": (b"[data]\npath = true\n", "data.path must be text, not true/false"),
    "deep_arrays.toml": (b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n", "is nested too deeply"),
    "deep_inline.toml": (b"a = " + b"{b = " * 5000 + b"1" + b"}" * 5000 + b"\n", "is nested too deeply"),
    "array_value.toml": (b"[training]\nepochs = [1, 2]\n", "training.epochs must be a number, text or true/false, not an array"),
    "table_value.toml": (b"[data]\nsamples = {n = 3}\n", "data.samples must be a number, text or true/false, not a table"),
    "date_value.toml": (b"[hyperparameters]\nfilters = 1979-05-27\n", "hyperparameters.filters must be a number"),
    "nul.toml": (b"[training]\nepochs = 1\0\n", "is not valid TOML"),
    "latin1.toml": (b'plugin = "caf\xe9"\n', "is not valid TOML"),
    "plugin_number.toml": (b"plugin = 3\n", "plugin must be a string"),
    "huge_line.toml": (b"# " + b"x" * (2 * 1024 * 1024) + b"\n", "over the limit of 1 MiB"),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("configs")
    env = cli_env(root)
    files = root / "files"
    files.mkdir()
    for name, (content, _) in BAD.items():
        (files / name).write_bytes(content)
    fifo(files / "pipe.toml")
    os.symlink("loop.toml", files / "loop.toml")
    sparse(files / "sparse.toml", 3 * 1024 * 1024 * 1024)  # 3 GiB of NUL bytes, no disk used
    (files / "empty.toml").write_bytes(b"")
    # a good config (its epochs = 0 is caught after the file was read) at odd paths
    readable = b"[training]\nepochs = 0\n"
    odd = files / "my configs" / "r\u00e9glages \u2603"
    odd.mkdir(parents=True)
    (odd / "train.toml").write_bytes(readable)
    home = root / "home" / "cfg"
    home.mkdir(parents=True)
    (home / "mine.toml").write_bytes(readable)
    return {"env": env, "files": files, "odd": odd / "train.toml"}


def _train_cnn_with(world, config: str):
    return run_cli(["train", "cnn", "--config", config], world["env"], timeout=CHECK_SECONDS)


def _one_line_error(result, message: str, code: int = 2) -> None:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and " — " in lines[0], result.stderr
    assert message in lines[0], lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_config_content(world, name):
    _one_line_error(_train_cnn_with(world, str(world["files"] / name)), BAD[name][1])


@pytest.mark.parametrize("name, message", [
    ("pipe.toml", "is a FIFO (named pipe), not a regular file"),  # would wait forever for a writer
    ("loop.toml", "is a symlink loop"),
    ("sparse.toml", "is 3 GiB, over the limit of 1 MiB"),  # would be read whole into memory
])
def test_config_that_is_not_a_plain_small_file(world, name, message):
    _one_line_error(_train_cnn_with(world, str(world["files"] / name)), message)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_config_that_is_an_endless_device(world, device):
    _one_line_error(_train_cnn_with(world, device), "is a device, not a regular file")


def test_an_empty_config_is_an_empty_config(world):
    # nothing in it: the next check (epochs) is the one that speaks
    result = run_cli(["train", "cnn", "--config", str(world["files"] / "empty.toml"), "--epochs", "0"], world["env"],
                     timeout=CHECK_SECONDS)
    _one_line_error(result, "epochs: 0 is below the minimum 1")


@pytest.mark.parametrize("where", ["odd", "tilde"])
def test_a_good_config_at_an_odd_path_is_read(world, where):
    path = str(world["odd"]) if where == "odd" else "~/cfg/mine.toml"  # ~ is the test's HOME
    _one_line_error(_train_cnn_with(world, path), "invalid training option epochs: 0 is below the minimum 1")
