"""Stacked LSTM forecaster for sequence forecasting."""

from dlterm_plugins._recurrent import FORECASTER_HYPERPARAMETERS, FORECASTER_TRAINING_DEFAULTS, build_forecaster

NAME = "lstm"
TITLE = "Stacked LSTM forecaster"
DESCRIPTION = """
Long short-term memory layers: gates decide what to keep, forget and output, so
information survives long windows. The seed tutorial's stock-price model (two LSTM(50)
layers with dropout, Dense(25), Dense(1)). Forecasts the next value from a window.
"""
TASK = "sequence-forecasting"
DEFAULT_DATASET = "seasonal"
HYPERPARAMETERS = FORECASTER_HYPERPARAMETERS
TRAINING_DEFAULTS = FORECASTER_TRAINING_DEFAULTS


def build(spec, hp):
    return build_forecaster("lstm", spec, hp, name="lstm")
