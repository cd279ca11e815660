"""The learning rate an epoch trained with, read before a schedule changes it."""

from __future__ import annotations

from typing import Any

from dlterm.keras_env import keras
from dlterm.training.optim import current_lr


class EpochLearningRate(keras.callbacks.Callback):
    """The learning rate an epoch ran with, read before ReduceLROnPlateau lowers it
    (it goes first in the callback list; the recorder goes last)."""

    value: float | None = None

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.value = current_lr(self.model)
