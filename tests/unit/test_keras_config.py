"""A .keras file's declared size, counted from its config.json without Keras, and the
refusal of files that declare more than they can hold (hand-built zips, no TensorFlow)."""

import json
import zipfile

import pytest

from dlterm import limits
from dlterm.errors import DltermError
from dlterm.keras_config import MAX_DEPTH, declared_parameters


def layer(cls, input_shape=None, name=None, **config):
    item = {"class_name": cls, "config": {"name": name or cls.lower(), **config}}
    if input_shape is not None:
        item["build_config"] = {"input_shape": input_shape}
    return item


def model(*layers, cls="Functional"):
    return {"class_name": cls, "config": {"name": "m", "layers": [layer("InputLayer", batch_input_shape=[None, 8]), *layers]}}


def keras_file(path, config, weights_bytes=1000, config_bytes=None):
    """A .keras zip as Keras lays it out; ``config_bytes`` replaces config.json verbatim."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", "{}")
        z.writestr("config.json", config_bytes if config_bytes is not None else json.dumps(config))
        if weights_bytes is not None:
            z.writestr("model.weights.h5", b"\0" * weights_bytes)
    return path


def refusal(path):
    with pytest.raises(DltermError) as info:
        limits.check_keras_archive(path)
    text = f"{info.value.message} — {info.value.hint}"
    assert "\n" not in text
    return info.value.message


@pytest.mark.parametrize("item, expected", [
    (layer("Dense", [None, 1152], units=128), 1152 * 128 + 128),
    (layer("Dense", [None, 10], units=3, use_bias=False), 30),
    (layer("Embedding", [None, 40], input_dim=5000, output_dim=64), 320_000),
    (layer("Conv2D", [None, 28, 28, 3], filters=32, kernel_size=[3, 3]), 3 * 3 * 3 * 32 + 32),
    (layer("Conv2D", [None, 28, 28, 8], filters=16, kernel_size=[3, 3], groups=4), 3 * 3 * 2 * 16 + 16),
    (layer("Conv2D", [None, 3, 28, 28], filters=4, kernel_size=[5, 5], data_format="channels_first"), 5 * 5 * 3 * 4 + 4),
    (layer("DepthwiseConv2D", [None, 12, 12, 16], kernel_size=[3, 3], depth_multiplier=1), 9 * 16 + 16),
    (layer("SeparableConv2D", [None, 12, 12, 16], filters=32, kernel_size=[3, 3]), 9 * 16 + 16 * 32 + 32),
    (layer("LSTM", [None, 60, 1], units=50), 4 * 50 * (1 + 50) + 4 * 50),
    (layer("GRU", [None, 60, 1], units=50), 3 * 50 * (1 + 50) + 2 * 3 * 50),
    (layer("GRU", [None, 60, 1], units=50, reset_after=False), 3 * 50 * (1 + 50) + 3 * 50),
    (layer("SimpleRNN", [None, 60, 2], units=10), 10 * (2 + 10) + 10),
    (layer("BatchNormalization", [None, 26, 26, 32], axis=[3]), 4 * 32),
    (layer("LayerNormalization", [None, 10, 64]), 2 * 64),
    # wrappers: the inner layer takes the wrapper's input shape
    (layer("Bidirectional", [None, 40, 16], layer=layer("LSTM", units=8)), 2 * (4 * 8 * (16 + 8) + 4 * 8)),
    (layer("TimeDistributed", [None, 5, 10], layer=layer("Dense", units=4)), 10 * 4 + 4),
    # what the config does not say counts nothing: a lower bound, never more than Keras builds
    (layer("Dense", None, units=7), 7),
    (layer("MyCustomLayer", [None, 4], units=10**9), 0),
    (layer("Dense", [None, 4], units="many"), 0),
])
def test_each_layer_counts_what_keras_builds(item, expected):
    assert declared_parameters(model(item))[0] == expected


def test_nested_models_are_counted_and_the_largest_layer_named():
    inner = model(layer("Dense", [None, 8], name="big", units=100), cls="Sequential")
    total, largest = declared_parameters(model(inner, layer("Dense", [None, 100], name="head", units=2)))
    assert total == 8 * 100 + 100 + 100 * 2 + 2
    assert largest == "big (Dense): 900"


def test_an_honest_file_passes(tmp_path):
    config = model(layer("Dense", [None, 8], units=16), layer("Dense", [None, 16], units=2))
    path = keras_file(tmp_path / "ok.keras", config, weights_bytes=4 * (8 * 16 + 16 + 16 * 2 + 2))
    assert limits.check_keras_archive(path) == path


def test_a_dense_of_a_billion_units_is_refused_from_the_config(tmp_path):
    config = model(layer("Dense", [None, 8], name="dense_1", units=10**9))
    message = refusal(keras_file(tmp_path / "dense.keras", config))
    assert "declares 9,000,000,000 parameters (largest layer dense_1 (Dense): 9,000,000,000)" in message
    assert "over the limit of 536,870,912 (2 GiB of float32)" in message


def test_an_embedding_of_a_billion_rows_is_refused_from_the_config(tmp_path):
    config = model(layer("Embedding", [None, 40], name="words", input_dim=10**9, output_dim=64))
    assert "largest layer words (Embedding): 64,000,000,000" in refusal(keras_file(tmp_path / "emb.keras", config))


def test_a_file_declaring_more_than_its_weights_can_hold_is_refused(tmp_path):
    config = model(layer("Dense", [None, 1000], units=1000))  # 1,001,000 parameters, 4 MB as float32
    message = refusal(keras_file(tmp_path / "small.keras", config, weights_bytes=100_000))
    assert "declares 1,001,000 parameters" in message and "more than its 97.7 KiB of weights can hold" in message
    assert "no weights file" in refusal(keras_file(tmp_path / "none.keras", config, weights_bytes=None))
    # one byte a parameter is enough (int8 weights): the bound never refuses a real file
    assert limits.check_keras_archive(keras_file(tmp_path / "int8.keras", config, weights_bytes=1_001_000))


@pytest.mark.parametrize("raw, message", [
    (b"{not json", "config.json: not a readable JSON model config"),
    (b"\xff\xfe\x00", "config.json: not a readable JSON model config"),
    (b"[" * 100_000 + b"]" * 100_000, "config.json: not a readable JSON model config"),
])
def test_a_config_that_is_not_json_is_one_line(tmp_path, raw, message):
    assert message in refusal(keras_file(tmp_path / "bad.keras", None, config_bytes=raw))


def test_models_nested_past_the_depth_limit_are_refused(tmp_path):
    config = layer("Dense", [None, 4], units=1)
    for _ in range(MAX_DEPTH + 2):
        config = {"class_name": "Sequential", "config": {"layers": [config]}}
    assert f"nested more than {MAX_DEPTH} deep" in refusal(keras_file(tmp_path / "deep.keras", config))


def test_a_config_json_over_its_cap_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_KERAS_CONFIG_BYTES", 1000)
    path = keras_file(tmp_path / "big.keras", model(layer("Dense", [None, 8], units=2, note="x" * 2000)))
    assert "its config.json is 2.23 KiB, over the limit of 1000 bytes" in refusal(path)


def test_names_from_the_file_stay_on_one_line(tmp_path):
    config = model(layer("Dense", [None, 8], name="evil\nname\x1b[2J", units=10**9))
    assert "largest layer evil?name?[2J (Dense): 9,000,000,000)" in refusal(keras_file(tmp_path / "evil.keras", config))


def test_sizes_stay_cheap_to_count():
    """No big-number arithmetic on what a file says: sizes and counts are clamped."""
    many = model(layer("Conv2D", [None, 8, 8, 1], filters=2, kernel_size=[2] * 100_000))
    assert declared_parameters(many)[0] == 2 * 2 * 2 * 1 * 2 + 2  # at most 3 kernel axes
    huge = model(*[layer("Dense", [None, 10**30], units=10**30) for _ in range(10)])
    assert declared_parameters(huge)[0] == 2**62
