"""Early stopping that a tie does not trigger and that a resumed run continues."""

from __future__ import annotations

from typing import Any

from dlterm.keras_env import keras
from dlterm.training.budget import Patience


class PatientStopping(keras.callbacks.Callback):
    """Early stopping that a tie does not trigger (see :mod:`dlterm.training.budget`); when
    it stops, the model gets back the weights of its best epoch of this process."""

    def __init__(self, monitor: str, mode: str, patience: int, best: dict[str, Any] | None = None,
                 restore: Any = None):
        super().__init__()
        self.patience = Patience(monitor, mode, patience, best)
        self.stopped_epoch = 0
        self._best_weights: list[Any] | None = None
        # A resumed run's epochs without improvement so far (from run.json: checked).
        wait = restore.get("wait") if isinstance(restore, dict) else None
        self._restore = wait if isinstance(wait, int) and not isinstance(wait, bool) and 0 <= wait < patience else None

    def on_train_begin(self, logs: Any = None) -> None:
        self.stopped_epoch = 0  # each phase gets its full patience; the best carries over
        self.patience.wait = 0
        if self._restore is not None:  # the first fit of a resumed run continues the count
            self.patience.wait, self._restore = self._restore, None

    def state(self) -> dict[str, Any]:
        return {"wait": int(self.patience.wait)}

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        metrics = {k: float(v) for k, v in (logs or {}).items()}
        better, stop = self.patience.update(metrics)
        if better:
            self._best_weights = self.model.get_weights()
        if stop:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Any = None) -> None:
        # Here, not at the epoch's end: the recorder (last in the list) has saved the epoch's
        # own weights as last.keras by now.
        if self.stopped_epoch and self._best_weights is not None:
            self.model.set_weights(self._best_weights)
