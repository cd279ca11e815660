"""Stacked simple RNN forecaster for sequence forecasting."""

from dlterm_plugins._recurrent import FORECASTER_HYPERPARAMETERS, FORECASTER_TRAINING_DEFAULTS, build_forecaster

NAME = "simplernn"
TITLE = "Stacked simple RNN forecaster"
DESCRIPTION = """
The plain recurrent cell h_t = tanh(W x_t + U h_(t-1) + b). Cheap, but gradients vanish
over long windows; a baseline that shows what the LSTM and GRU gates buy. Forecasts the
next value of a series from a window of past values.
"""
TASK = "sequence-forecasting"
DEFAULT_DATASET = "seasonal"
HYPERPARAMETERS = FORECASTER_HYPERPARAMETERS
TRAINING_DEFAULTS = FORECASTER_TRAINING_DEFAULTS


def build(spec, hp):
    return build_forecaster("simplernn", spec, hp, name="simplernn")
