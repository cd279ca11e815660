"""ReduceLROnPlateau that a resumed run continues where it stopped."""

from __future__ import annotations

import math
from typing import Any

from dlterm.keras_env import keras


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
