"""The config check counts what Keras builds: for every builtin plugin's model, the
parameters declared in its saved config.json equal ``model.count_params()``, and the
file passes the check that refuses huge declarations."""

import json
import zipfile

import pytest

from dlterm.discovery import discover
from dlterm.keras_config import declared_parameters
from tests.functional.conftest import tiny

BUILTINS = sorted(p.name for p in discover([]) if p.source == "builtin" and p.ok)


@pytest.mark.parametrize("plugin", BUILTINS)
def test_the_declared_count_of_each_builtin_is_exact(plugin, tmp_path):
    from dlterm import datasets
    from dlterm.checkpoints import save_model
    from dlterm.limits import check_keras_archive
    from dlterm.training.build import build_model
    from dlterm.training.plan import prepare
    from dlterm.training.trainer import TrainRequest

    overrides = {**tiny(plugin), **({"weights": "none"} if plugin == "mobilenet" else {})}
    prep = prepare(TrainRequest(plugin=plugin, overrides=overrides, models_dir=str(tmp_path / "models")))
    data = datasets.load(prep.dataset, prep.config["data"], 1)
    model = build_model(prep.plugin, data.spec, prep.config["hyperparameters"])
    path = tmp_path / "model.keras"
    save_model(model, path)
    with zipfile.ZipFile(path) as z:
        config = json.loads(z.read("config.json"))
    assert declared_parameters(config)[0] == model.count_params()
    assert check_keras_archive(path) == path
