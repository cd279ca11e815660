"""Shared by the lstm, gru and simplernn plugins (a leading underscore: not a plugin)."""

from dlterm.plugin_api import Float, Int

FORECASTER_HYPERPARAMETERS = [
    Int("units", 50, min=1, max=2048, help="units of each recurrent layer"),
    Int("layers", 2, min=1, max=8, help="stacked recurrent layers"),
    Float("dropout", 0.2, min=0.0, max=0.9, help="dropout after each recurrent layer"),
    Int("dense_units", 25, min=0, max=4096, help="hidden dense layer before the output (0 = none)"),
]
FORECASTER_TRAINING_DEFAULTS = {"epochs": 20, "batch_size": 32}


def build_forecaster(cell: str, spec, hp, name: str):
    """The seed's stock-price network: stacked recurrent layers, dropout, dense head, one output."""
    from dlterm.keras_env import keras, layers

    layer_cls = {"lstm": layers.LSTM, "gru": layers.GRU, "simplernn": layers.SimpleRNN}[cell]
    inputs = keras.Input(shape=spec.input_shape, name=spec.inputs[0].name)
    x = inputs
    for i in range(hp["layers"]):
        x = layer_cls(hp["units"], return_sequences=i < hp["layers"] - 1)(x)
        if hp["dropout"] > 0:
            x = layers.Dropout(hp["dropout"])(x)
    if hp["dense_units"]:
        x = layers.Dense(hp["dense_units"], activation="relu")(x)
    outputs = layers.Dense(spec.output_shape[0], name="forecast")(x)
    return keras.Model(inputs, outputs, name=name)
