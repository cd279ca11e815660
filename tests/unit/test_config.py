import pytest

from dlterm.config import load_config_file, parse_set_options, resolve
from dlterm.discovery import get_plugin
from dlterm.errors import DltermError


@pytest.fixture(scope="module")
def cnn():
    return get_plugin("cnn", [])


def test_layers_defaults_plugin_defaults_file_and_overrides(cnn, tmp_path):
    cfg_file = tmp_path / "c.toml"
    cfg_file.write_text('dataset = "shapes"\n[hyperparameters]\nfilters = 8\n[training]\nepochs = 7\nbatch_size = 16\n[data]\nsamples = 120\n')
    cfg = resolve(cnn, load_config_file(cfg_file), {"batch_size": "64", "data.image_size": "20"})
    assert cfg["hyperparameters"]["filters"] == 8  # from the file
    assert cfg["hyperparameters"]["blocks"] == 3  # spec default
    assert cfg["training"]["epochs"] == 7  # file beats TRAINING_DEFAULTS (5)
    assert cfg["training"]["batch_size"] == 64  # --set beats the file
    assert cfg["data"] == {"samples": 120, "image_size": "20"}


def test_plugin_training_defaults_apply(cnn):
    assert resolve(cnn, {}, {})["training"]["epochs"] == 5


@pytest.mark.parametrize("overrides, message", [
    ({"filterz": "3"}, "did you mean 'filters'"),
    ({"filters": "many"}, "invalid hyperparameter filters"),
    ({"epochs": "0"}, "below the minimum"),
    ({"optimizer": "lion"}, "not one of adam"),
    ({"momentum": "0.5"}, "momentum only applies to the sgd optimizer"),
    ({"decay_rate": "0.5"}, "only applies to --schedule exponential"),
    ({"patience": "3", "early_stopping": "false"}, "early stopping is off"),
])
def test_bad_overrides(cnn, overrides, message):
    with pytest.raises(DltermError) as e:
        resolve(cnn, {}, overrides)
    assert message in str(e.value)


def test_augmentation_is_refused_for_forecasting():
    with pytest.raises(DltermError, match="augmentation is for images"):
        resolve(get_plugin("lstm", []), {}, {"augment": "true"})


@pytest.mark.parametrize("text, message", [
    ("epochs = ", "not valid TOML"),
    ("colour = 'red'", "unknown key 'colour'"),
    ("training = 3", "must be a table"),
    ("plugin = 3", "must be a string"),
])
def test_bad_config_files(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(DltermError, match=message):
        load_config_file(path)


def test_set_options_need_key_value():
    assert parse_set_options(["a=1", "data.window = 3"]) == {"a": "1", "data.window": "3"}
    with pytest.raises(DltermError, match="not key=value"):
        parse_set_options(["epochs"])
