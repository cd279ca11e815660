"""Stacked GRU forecaster for sequence forecasting."""

from dlterm_plugins._recurrent import FORECASTER_HYPERPARAMETERS, FORECASTER_TRAINING_DEFAULTS, build_forecaster

NAME = "gru"
TITLE = "Stacked GRU forecaster"
DESCRIPTION = """
Gated recurrent units: two gates instead of the LSTM's three and no separate cell
state, so fewer parameters and faster training with similar accuracy. Forecasts the next
value of a series from a window of past values.
"""
TASK = "sequence-forecasting"
DEFAULT_DATASET = "seasonal"
HYPERPARAMETERS = FORECASTER_HYPERPARAMETERS
TRAINING_DEFAULTS = FORECASTER_TRAINING_DEFAULTS


def build(spec, hp):
    return build_forecaster("gru", spec, hp, name="gru")
