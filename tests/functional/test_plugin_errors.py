"""A user plugin that misbehaves while imported breaks itself, never dlterm.

Plugins are code and run when listed: one that calls ``sys.exit()``, raises
``KeyboardInterrupt``, or is a FIFO, a device or a symlink loop must show up as broken
with the reason, while ``dlterm plugins`` and every other plugin keep working.
No TensorFlow is imported (the commands stop before training).
"""

import json
import os

import pytest

from tests.conftest import run_cli
from tests.functional.hostile import CHECK_SECONDS, fifo, sparse

HEADER = ('from dlterm.plugin_api import Int\nNAME = "{name}"; TITLE = "t"; DESCRIPTION = "d"\n'
          'TASK = "image-classification"; DEFAULT_DATASET = "shapes"; HYPERPARAMETERS = []\n'
          'def build(spec, hp):\n    return None\n')

# name -> (what the file does at import, part of the reason shown)
BODIES = {
    "exits0": ("import sys\nsys.exit(0)\n", "calls sys.exit(0)"),
    "exits3": ("import sys\nsys.exit(3)\n", "calls sys.exit(3)"),
    "exitsmsg": ("raise SystemExit('bye')\n", "calls sys.exit('bye')"),
    "ctrlc": ("raise KeyboardInterrupt\n", "KeyboardInterrupt"),
    "genexit": ("raise GeneratorExit('odd')\n", "GeneratorExit: odd"),
    "recursion": ("def f():\n    return f()\nf()\n", "RecursionError"),
    "nul": ("x = 1\n\0\n", "syntax error: source code string cannot contain null bytes"),
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("plugins")
    plugins = root / "plugins"
    plugins.mkdir()
    for name, (body, _) in BODIES.items():
        (plugins / f"{name}.py").write_bytes((HEADER.format(name=name) + body).encode("latin-1"))
    (plugins / "good.py").write_text(HEADER.format(name="good"))
    fifo(plugins / "pipe.py")
    os.symlink("loop.py", plugins / "loop.py")
    os.symlink(os.devnull, plugins / "null.py")
    sparse(plugins / "huge.py", 5 * 1024 * 1024, b"# a generated plugin\n")
    from tests.conftest import cli_env

    return cli_env(root)


SPECIAL = {"pipe": "is a FIFO (named pipe), not a regular file", "loop": "is a symlink loop",
           "null": "is a device, not a regular file", "huge": "over the limit of 4 MiB"}


def _listing(env):
    result = run_cli(["plugins", "--json"], env, timeout=CHECK_SECONDS)
    assert result.returncode == 0, result.stderr
    return {p["name"]: p for p in json.loads(result.stdout)}


def test_the_listing_survives_every_bad_plugin(folder):
    plugins = _listing(folder)
    assert plugins["cnn"]["status"] == "ok" and plugins["good"]["status"] == "ok"
    for name, (_, reason) in BODIES.items():
        assert plugins[name]["status"] == "broken", name
        assert reason in plugins[name]["reason"], (name, plugins[name]["reason"])
    for name, reason in SPECIAL.items():
        assert plugins[name]["status"] == "broken", name
        assert reason in plugins[name]["reason"], (name, plugins[name]["reason"])


def test_other_commands_go_on_past_discovery(folder):
    # `train cnn` discovers every plugin first; it must reach its own checks (here the
    # epochs minimum) instead of exiting silently with the quitter's code.
    result = run_cli(["train", "cnn", "--epochs", "0"], folder, timeout=CHECK_SECONDS)
    assert result.returncode == 2
    assert "epochs: 0 is below the minimum 1" in result.stderr


def test_the_table_lists_the_quitter_as_broken(folder):
    result = run_cli(["plugins"], folder, timeout=CHECK_SECONDS)
    assert result.returncode == 0 and "exits0" in result.stdout and "broken" in result.stdout


@pytest.mark.parametrize("name", ["exits0", "exits3", "ctrlc", "pipe", "loop"])
def test_training_a_broken_plugin_says_why(folder, name):
    result = run_cli(["train", name], folder, timeout=CHECK_SECONDS)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"error: plugin '{name}' is broken: ") and len(result.stderr.splitlines()) == 1


@pytest.mark.slow
def test_a_builder_that_exits_is_a_failed_plugin_not_a_silent_exit(tmp_path):
    from tests.conftest import cli_env

    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "exitbuild.py").write_text(
        HEADER.format(name="exitbuild").replace("    return None\n", "    import sys\n    sys.exit(0)\n"))
    result = run_cli(["train", "exitbuild", "--set", "data.samples=60"], cli_env(tmp_path))
    assert result.returncode == 1, result.stderr
    assert "plugin 'exitbuild' failed to build its model: SystemExit" in result.stderr
