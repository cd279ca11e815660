"""Optimizers and learning-rate schedules from the training options."""

from __future__ import annotations

from typing import Any

from dlterm.keras_env import keras


def make_optimizer(options: dict[str, Any], steps_per_epoch: int) -> Any:
    """The optimizer, with the schedule built in (decays are per step, set up per epoch).

    ``plateau`` is not a schedule but a callback (see :func:`plateau_callback`).
    """
    lr: Any = options["learning_rate"]
    schedule = options["schedule"]
    if schedule == "exponential":
        # decay_rate is applied once per epoch, smoothly across its steps.
        lr = keras.optimizers.schedules.ExponentialDecay(lr, decay_steps=steps_per_epoch, decay_rate=options["decay_rate"])
    elif schedule == "cosine":
        total = max(1, steps_per_epoch * options["epochs"])
        alpha = min(1.0, options["min_lr"] / options["learning_rate"])
        lr = keras.optimizers.schedules.CosineDecay(options["learning_rate"], decay_steps=total, alpha=alpha)
    name = options["optimizer"]
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate=lr, momentum=options["momentum"])
    cls = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop,
           "adagrad": keras.optimizers.Adagrad, "adadelta": keras.optimizers.Adadelta}[name]
    return cls(learning_rate=lr)


def current_lr(model: Any) -> float:
    """The learning rate the optimizer is using now (a schedule's current value)."""
    return float(keras.backend.get_value(model.optimizer.learning_rate))
