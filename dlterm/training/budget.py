"""How long to train when the user does not say, and when to stop.

Fixed epoch counts are tuned to one dataset: five epochs are plenty for the offline demo
data and far too few for a small real image folder. So without ``--epochs`` dlterm trains
until the validation metric stops improving, within a budget that grows as the data
shrinks (the same number of gradient steps buys fewer epochs on big data), and a small
image set gets light augmentation, which pays once training is long enough.

Both count gradient steps more than epochs: on a tiny set (88 windows of a monthly series
are 3 steps an epoch) 60 epochs are 180 steps and 10 epochs of patience 30, far too few to
learn anything, while an epoch costs almost nothing. So the budget may grow to many epochs
and patience is a tenth of the budget (at least AUTO_PATIENCE epochs).

Patience counts epochs without improvement, and a tie on the monitor is no reason to
stop: validation accuracy on a few hundred examples often repeats for several epochs
while the model still gets better. A tie counts as an improvement when the validation
loss went down. The best checkpoint follows the same rule. No TensorFlow here.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dlterm.tasks import Task

# The budget: about TARGET_STEPS gradient steps, but never fewer than MIN_EPOCHS or more
# than MAX_EPOCHS epochs. Early stopping usually ends the run well before it. MAX_EPOCHS is
# only a bound on the per-epoch overhead (validation, checkpoint) of sets of a few batches:
# 60 stopped a gru on an 88-window series after 180 steps, at 1.5x the error of 200 epochs.
TARGET_STEPS = 6000
MIN_EPOCHS = 10
MAX_EPOCHS = 1000
# Patience of an automatic run (unless --patience is given): augmentation and small
# validation sets make the monitor noisy, and 5 epochs stopped digits runs at epoch 9.
# On a long budget of short epochs, a tenth of the budget (the same share of the steps).
AUTO_PATIENCE = 10
PATIENCE_SHARE = 10
# Image sets with fewer training images than this get augmentation by default.
SMALL_IMAGE_SET = 5000
# A tie on an accuracy monitor counts as progress when val_loss fell by more than this fraction.
LOSS_TIE_BREAK = 1e-3


def auto_epochs(train_size: int, batch_size: int) -> int:
    """The most epochs an automatic run may take (see the module docstring)."""
    steps = max(1, math.ceil(train_size / batch_size))
    return max(MIN_EPOCHS, min(MAX_EPOCHS, math.ceil(TARGET_STEPS / steps)))


def auto_patience(epochs: int) -> int:
    """Patience of an automatic run whose budget is ``epochs``: a tenth of it, at least AUTO_PATIENCE."""
    return max(AUTO_PATIENCE, math.ceil(epochs / PATIENCE_SHARE))


def apply_defaults(training: dict[str, Any], explicit: set[str], task: Task, train_size: int, monitor: str) -> list[str]:
    """Fill in the settings left to dlterm (in place); return notes saying what was chosen.

    Only when ``epochs`` was not given and early stopping is on: the budget replaces the
    plugin's fixed epoch count (when larger), patience is :func:`auto_patience` of it, and a small
    training set of a task that augments (images) gets augmentation unless ``augment`` was given. Explicit settings are never changed.
    """
    if "epochs" in explicit or not training["early_stopping"]:
        return []
    # The plugin's own epoch count stays the floor: it was enough on its default data.
    training["epochs"] = max(training["epochs"], auto_epochs(train_size, training["batch_size"]))
    if "patience" not in explicit:
        training["patience"] = max(training["patience"], auto_patience(training["epochs"]))
    notes = [f"no --epochs: training until {monitor} has not improved for {training['patience']} epochs, "
             f"at most {training['epochs']} epochs"]
    if task.augmentable and "augment" not in explicit and train_size < SMALL_IMAGE_SET:
        training["augment"] = True
        notes.append(f"small image set ({train_size} training images): light augmentation on (--no-augment to turn it off)")
    return notes


def improved(metrics: dict[str, float], best: dict[str, Any], monitor: str, mode: str) -> bool:
    """Whether this epoch's ``metrics`` beat ``best`` ({"value", "val_loss"}; empty = none yet).

    Strictly better on the monitor; or, for an accuracy-like monitor, equal with a lower
    validation loss (a tie is not a step back).
    """
    value = metrics.get(monitor)
    if value is None:
        return False
    old = best.get("value")
    if old is None:
        return True
    if value != old:
        return value > old if mode == "max" else value < old
    loss, old_loss = metrics.get("val_loss"), best.get("val_loss")
    return monitor != "val_loss" and loss is not None and old_loss is not None and loss < old_loss * (1 - LOSS_TIE_BREAK)


class Patience:
    """Counts epochs without improvement (in the sense of :func:`improved`)."""

    def __init__(self, monitor: str, mode: str, patience: int, best: dict[str, Any] | None = None):
        self.monitor, self.mode, self.patience = monitor, mode, patience
        self.best: dict[str, Any] = dict(best or {})
        self.wait = 0

    def update(self, metrics: dict[str, float]) -> tuple[bool, bool]:
        """Record an epoch; return (it improved, training should stop)."""
        if improved(metrics, self.best, self.monitor, self.mode):
            self.best = {"value": metrics[self.monitor], "val_loss": metrics.get("val_loss")}
            self.wait = 0
            return True, False
        self.wait += 1
        return False, self.wait >= self.patience
