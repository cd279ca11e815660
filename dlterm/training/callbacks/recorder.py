"""The run recorder: every batch and epoch as events, and after each epoch the run folder
brought to a consistent state (checkpoints, history, run.json) in one commit."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

from dlterm.checkpoints import save_model
from dlterm.events import Emitter
from dlterm.keras_env import keras
from dlterm.runstore import Run
from dlterm.training.budget import improved
from dlterm.training.callbacks.learning_rate import EpochLearningRate
from dlterm.training.optim import current_lr

if TYPE_CHECKING:
    from dlterm.training.callbacks.graceful import GracefulStop


class RunRecorder(keras.callbacks.Callback):
    """Emits batch/epoch events, and after every epoch saves ``last.keras`` (with optimizer
    state, for ``--resume``), ``best.keras`` when the monitor improved, the history and
    ``run.json``. An epoch whose loss is NaN or infinite stops training and is not saved.
    """

    def __init__(self, run: Run, emitter: Emitter, monitor: str, mode: str, epochs: int, steps: int,
                 history: list[dict[str, float]], best: dict[str, Any] | None, stop: "GracefulStop | None" = None,
                 batch_interval: float = 0.5):
        super().__init__()
        # Let Keras hand us its logs as tensors: no per-batch sync unless we emit.
        self._supports_tf_logs = True
        self.run, self.emitter = run, emitter
        self.monitor, self.mode = monitor, mode
        self.epochs, self.steps = epochs, steps
        self.history = history
        self.best = best or {}
        self.batch_interval = batch_interval
        self.stop = stop
        self.bad_loss_epoch: int | None = None
        self.phase: int | None = None  # 1-based, set by the trainer for multi-phase training
        self._epoch = 0
        self._t0 = 0.0
        self._last_batch = 0.0
        self._step = 0
        # Callbacks whose counters must survive a resume (early stopping, plateau), by name;
        # the recorder runs after them, so it saves their state after this epoch.
        self.stateful: dict[str, Any] = {}
        self.lr_probe = EpochLearningRate()

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self._epoch = epoch
        self._t0 = time.perf_counter()
        self._last_batch = time.monotonic()
        self._step = 0

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self._step = batch + 1
        now = time.monotonic()
        if now - self._last_batch < self.batch_interval:
            return
        self._last_batch = now
        metrics = {k: float(v) for k, v in (logs or {}).items()}
        self.emitter.emit("batch", epoch=self._epoch + 1, epochs=self.epochs, step=batch + 1, steps=self.steps, metrics=metrics)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        seconds = time.perf_counter() - self._t0
        if self.stop is not None and self.stop.reason and self._step < self.steps:
            return  # stopped mid-epoch: Keras still calls us, but this epoch is not complete
        metrics = {k: float(v) for k, v in (logs or {}).items()}
        if not all(math.isfinite(metrics.get(k, 0.0)) for k in ("loss", "val_loss")):
            self.bad_loss_epoch = epoch + 1
            self.model.stop_training = True
            return
        lr = self.lr_probe.value if self.lr_probe.value is not None else current_lr(self.model)
        phase = {"phase": self.phase} if self.phase else {}
        self.history.append({"epoch": epoch + 1, **metrics, "lr": lr, "seconds": round(seconds, 4), **phase})
        value = metrics.get(self.monitor)
        better = improved(metrics, self.best, self.monitor, self.mode)  # a tie with a lower val_loss counts
        best = self.best
        if better:
            save_model(self.model, self.run.pending_checkpoint("best", epoch + 1))
            best = {"monitor": self.monitor, "mode": self.mode, "value": value, "epoch": epoch + 1,
                    "val_loss": metrics.get("val_loss")}
        save_model(self.model, self.run.pending_checkpoint("last", epoch + 1))
        self.run.write_history(self.history)
        # run.json is the commit: a kill before it leaves the previous epoch whole.
        self.run.commit_epoch(epoch + 1, best=best, metrics=metrics,
                              callback_state={name: cb.state() for name, cb in self.stateful.items()})
        self.best = best
        # Events go out after the files: whoever sees epoch_end can resume from this epoch.
        self.emitter.emit("epoch_end", epoch=epoch + 1, epochs=self.epochs, metrics=metrics, lr=lr,
                          seconds=round(seconds, 4), **phase)
        if better:
            self.emitter.emit("checkpoint", kind="best", path=str(self.run.checkpoint("best")), epoch=epoch + 1,
                              monitor=self.monitor, value=value)
