"""bilstm's head reads the max and mean of every word's states (the default) or the last
states; both build for one or two layers and give class probabilities."""

import numpy as np
import pytest

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("pooling", ["max_mean", "last"])
def test_bilstm_pooling_builds_and_gives_probabilities(pooling, layers):
    from dlterm.discovery import get_plugin
    from dlterm.plugin_api import DataSpec, TensorSpec

    plugin = get_plugin("bilstm")
    hp = {h.name: h.default for h in plugin.hyperparameters}
    assert hp["pooling"] == "max_mean"  # the default the README's benchmark measured
    spec = DataSpec("text-classification", (TensorSpec("tokens", (12,), "int32"),), (3,), ("a", "b", "c"),
                    {"vocabulary_size": 50})
    model = plugin.build(spec, {**hp, "pooling": pooling, "layers": layers, "units": 4})
    names = [layer.name for layer in model.layers]
    assert ("max_mean" in names) == (pooling == "max_mean")
    ids = np.random.default_rng(0).integers(0, 50, (5, 12)).astype(np.int32)
    probabilities = model.predict(ids, verbose=0)
    assert probabilities.shape == (5, 3) and np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
