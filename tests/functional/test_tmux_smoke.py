"""The real dashboard in a real terminal (tmux, 80x24), driven by keys like a person would."""

import re
import shutil
import subprocess
import sys
import time

import pytest

from dlterm.runstore import RunStore

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")]


class Tmux:
    def __init__(self, name, command, env, width=80, height=24):
        self.name = name
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", str(width), "-y", str(height),
                        f"env {exports} {command}; sleep 30"], check=True)

    def keys(self, *keys, literal=False):
        subprocess.run(["tmux", "send-keys", "-t", self.name, *(["-l"] if literal else []), *keys], check=True)
        time.sleep(0.3)

    def screen(self):
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True).stdout

    def wait_for(self, pattern, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            text = self.screen()
            if re.search(pattern, text):
                return text
            time.sleep(0.5)
        raise AssertionError(f"{pattern!r} never appeared; screen:\n{self.screen()}")

    def close(self):
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def test_pick_cnn_change_epochs_train_stop_and_quit(tmp_path):
    models = tmp_path / "models"
    env = {"DLTERM_HOME": str(models), "DLTERM_PLUGIN_PATH": str(tmp_path / "none"), "TERM": "xterm-256color"}
    tmux = Tmux(f"dlterm-smoke-{int(time.time())}", f"{sys.executable} -m dlterm", env)
    try:
        tmux.wait_for(r"Plugins.*Training.*Runs")
        tmux.wait_for(r"bilstm")  # the plugin table lists plugins alphabetically: bilstm, charlstm, cnn
        tmux.keys("Down", "Down")
        tmux.wait_for(r"Convolutional network")  # the plugin's details and form are mounting
        time.sleep(2)  # a cold start (first run after install) mounts the forms later
        for _ in range(13):  # table -> detail, dataset, 4 dataset settings, 6 hyperparameters -> epochs
            tmux.keys("Tab")
        tmux.wait_for(r"epochs\s+\d+")  # the focused field scrolls into view
        tmux.keys("End", *["BSpace"] * 4)
        tmux.keys("200", literal=True)  # far more than it will run: Stop must end it
        tmux.wait_for(r"epochs\s+200\b")
        for _ in range(8):  # the other training fields -> "more settings"
            tmux.keys("Tab")
        tmux.keys("data.samples=300 filters=4 blocks=2 early_stopping=false", literal=True)
        tmux.wait_for(r"early_stopping=false")
        tmux.keys("C-t")
        screen = tmux.wait_for(r"epoch ([2-9]|\d\d+)/200", timeout=180)
        assert "Training" in screen
        tmux.keys("C-s")
        tmux.wait_for(r"interrupted", timeout=90)
        tmux.keys("r")
        tmux.wait_for(r"cnn-\d{8}")
        tmux.keys("q")  # asks first
        tmux.wait_for(r"Quit dlterm\?")
        tmux.keys("y")
        tmux.wait_for(r"^(?!.*Plugins  Training)", timeout=20)
    finally:
        tmux.close()
    (run,) = RunStore(models).runs()
    assert run.status == "interrupted" and run.meta["config"]["training"]["epochs"] == 200
    assert 2 <= run.meta["epochs_completed"] < 200 and run.file("last.keras").is_file()
