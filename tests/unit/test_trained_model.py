"""A run's model is rebuilt with the plugin it was trained with, from that plugin's folder."""

from pathlib import Path

from dlterm.runstore import Run
from dlterm.trained_model import model_parts, plugin_of

PLUGIN = '''
from dlterm.plugin_api import Int
NAME = "twopart"
TITLE = "Two parts"
DESCRIPTION = "A plugin whose inference runs two models."
TASK = "sequence-to-sequence"
DEFAULT_DATASET = "dates"
HYPERPARAMETERS = [Int("units", 4, min=1, max=8)]

def build(spec, hp):
    raise AssertionError("not built here")

def inference_parts(model, hp):
    return {"encoder": ("encoder of", model, hp["units"]), "decoder": ("decoder of", model)}
'''


def test_the_plugin_is_found_in_the_folder_the_run_was_trained_with(tmp_path, monkeypatch):
    monkeypatch.delenv("DLTERM_PLUGIN_PATH", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.dlterm/plugins either
    folder = tmp_path / "my plugins"
    folder.mkdir()
    (folder / "twopart.py").write_text(PLUGIN)
    run = Run(tmp_path / "run", {"id": "twopart-1", "plugin": "twopart", "plugin_dirs": [str(folder)],
                                  "config": {"hyperparameters": {"units": 3}}})
    plugin = plugin_of(run)
    assert plugin is not None and Path(plugin.origin) == folder / "twopart.py"
    assert model_parts(run, "M") == {"encoder": ("encoder of", "M", 3), "decoder": ("decoder of", "M")}


def test_a_run_whose_plugin_is_gone_still_predicts_with_its_model(tmp_path, monkeypatch):
    monkeypatch.delenv("DLTERM_PLUGIN_PATH", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    run = Run(tmp_path / "run", {"id": "gone-1", "plugin": "gone", "plugin_dirs": [str(tmp_path / "nowhere")],
                                  "config": {"hyperparameters": {}}})
    assert plugin_of(run) is None
    assert model_parts(run, "M") == {"model": "M"}
