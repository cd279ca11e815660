"""Keras callbacks that connect ``model.fit`` to dlterm's run folder and event stream."""

from __future__ import annotations

import math
import signal
import threading
import time
from typing import Any

from dlterm.checkpoints import save_model
from dlterm.events import Emitter
from dlterm.keras_env import keras
from dlterm.runstore import Run
from dlterm.training.budget import Patience, improved
from dlterm.training.optim import current_lr


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


class EpochLearningRate(keras.callbacks.Callback):
    """The learning rate an epoch ran with, read before ReduceLROnPlateau lowers it
    (it goes first in the callback list; the recorder goes last)."""

    value: float | None = None

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.value = current_lr(self.model)


def _restored(state: Any, wait_max: int) -> dict[str, float] | None:
    """A saved counter state, if it is well formed (it comes from run.json: untrusted)."""
    if not isinstance(state, dict):
        return None
    wait, best = state.get("wait"), state.get("best")
    if isinstance(wait, bool) or not isinstance(wait, int) or not 0 <= wait <= wait_max:
        return None
    if isinstance(best, bool) or not isinstance(best, (int, float)) or math.isnan(best):
        return None
    cooldown = state.get("cooldown", 0)
    if isinstance(cooldown, bool) or not isinstance(cooldown, int) or not 0 <= cooldown <= wait_max:
        return None
    return {"wait": wait, "best": float(best), "cooldown": cooldown}


class ResumableReduceLROnPlateau(keras.callbacks.ReduceLROnPlateau):
    """ReduceLROnPlateau whose wait, best and cooldown continue after a resume (the
    reduced learning rate itself is in the checkpoint's optimizer)."""

    def __init__(self, restore: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._restore = _restored(restore, max(self.patience, self.cooldown))

    def on_train_begin(self, logs: Any = None) -> None:
        super().on_train_begin(logs)
        if self._restore is not None:
            self.wait, self.best = self._restore["wait"], self._restore["best"]
            self.cooldown_counter = self._restore["cooldown"]
            self._restore = None

    def state(self) -> dict[str, Any]:
        return {"wait": int(self.wait), "best": float(self.best), "cooldown": int(self.cooldown_counter)}


class GracefulStop:
    """SIGINT/SIGTERM ask the model to stop after the current batch; a second one stops now.

    Signal handlers can only be installed from the main thread; elsewhere (a test calling
    the trainer from a thread) this does nothing and :meth:`request` is the way to stop.
    """

    def __init__(self) -> None:
        self.reason: str | None = None
        self.model: Any = None
        self._previous: dict[int, Any] = {}

    def request(self, reason: str) -> None:
        self.reason = self.reason or reason
        if self.model is not None:
            self.model.stop_training = True

    def _handle(self, signum: int, frame: Any) -> None:
        if self.reason is not None:
            raise KeyboardInterrupt
        self.request(signal.Signals(signum).name)

    def __enter__(self) -> "GracefulStop":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


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
