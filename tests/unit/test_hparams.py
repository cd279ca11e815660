"""The HParams values a run gives TensorBoard (no TensorFlow needed to compute them)."""

from dlterm.training.hparams import hparam_values


def test_settings_become_flat_hparams_of_types_tensorboard_takes():
    config = {"hyperparameters": {"filters": 32, "batch_norm": True, "layers": [64, 32]},
              "training": {"learning_rate": 0.001, "optimizer": "adam"}, "data": {"column": None}}
    values = hparam_values(config, "cnn", "shapes")
    assert values == {"plugin": "cnn", "dataset": "shapes", "hyperparameters.filters": 32,
                      "hyperparameters.batch_norm": True, "hyperparameters.layers": "[64, 32]",
                      "training.learning_rate": 0.001, "training.optimizer": "adam", "data.column": "null"}
