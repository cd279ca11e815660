"""The CLI must start without TensorFlow: `--help` and listing plugins stay instant."""

import json
import subprocess
import sys

import pytest

from tests.conftest import run_cli


@pytest.mark.parametrize("args", [["--help"], ["plugins", "--json"], ["plugins", "show", "lstm"], ["datasets"], ["runs"]])
def test_no_tensorflow_is_imported(args, env):
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "dlterm", *args], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    imported = [line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert "typer" in imported  # the probe sees real imports
    heavy = [m for m in imported if m.split(".")[0] in ("tensorflow", "tf_keras", "keras", "tf2onnx", "onnxruntime")]
    assert heavy == []


def test_python_dash_m_and_version(env):
    result = run_cli(["--version"], env)
    assert result.returncode == 0 and result.stdout.startswith("dlterm ")
    assert "train" in run_cli(["--help"], env).stdout


def test_plugins_json_lists_each_builtin(env):
    rows = json.loads(run_cli(["plugins", "--json"], env).stdout)
    names = {r["name"]: r for r in rows}
    for name in ("cnn", "lenet5", "lstm", "gru", "simplernn"):
        assert names[name]["source"] == "builtin" and names[name]["status"] == "ok" and names[name]["task"]


def test_new_plugin_creates_a_valid_plugin(env, tmp_path):
    result = run_cli(["new-plugin", "myarch"], env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "plugins" / "myarch.py").is_file()
    rows = json.loads(run_cli(["plugins", "--json"], env).stdout)
    (mine,) = [r for r in rows if r["name"] == "myarch"]
    assert (mine["source"], mine["status"]) == ("user", "ok")
    again = run_cli(["new-plugin", "myarch"], env)
    assert again.returncode == 2 and "already exists" in again.stderr
