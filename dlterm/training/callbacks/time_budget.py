"""``max_minutes``: stop after the epoch that spends the training time budget."""

from __future__ import annotations

import time
from typing import Any

from dlterm.keras_env import keras


class TimeBudget(keras.callbacks.Callback):
    """Stops training at the end of the first epoch that ends after ``minutes`` of training
    (counted from its creation, across every phase of the run)."""

    def __init__(self, minutes: float):
        super().__init__()
        self.seconds = minutes * 60
        self.t0 = time.monotonic()
        self.spent_at: int | None = None  # the epoch (1-based) after which the budget ran out

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if time.monotonic() - self.t0 >= self.seconds:
            self.spent_at = epoch + 1
            self.model.stop_training = True
