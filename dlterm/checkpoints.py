"""Keras model files (``.keras``): safe loading and atomic saving.

Every module that reads or writes a run's checkpoints goes through here, so the safety
rules live in one place: files load in Keras's safe mode (no code from lambdas), and a
save is written to a temporary file and renamed, so a crash never leaves half a model.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dlterm.errors import DltermError
from dlterm.fileio import atomic_path
from dlterm.limits import check_keras_archive


def load_model(path: Path, compile: bool = True) -> Any:
    """Load a ``.keras`` file in safe mode (no arbitrary code from lambdas)."""
    if not os.path.lexists(path):
        raise DltermError(f"model file not found: {path}", "the run may not have finished an epoch")
    # A foreign file, a FIFO, a zip bomb or a config declaring huge layers is refused
    # before Keras reads it (and before TensorFlow is even imported).
    check_keras_archive(path)
    from dlterm.keras_env import keras
    try:
        model = keras.models.load_model(path, compile=compile, safe_mode=True)
    except Exception as e:  # noqa: BLE001 - corrupt or foreign files fail in many ways
        # A file that does not load is bad input (damaged, tampered with, foreign): exit 2.
        raise DltermError(f"cannot load the model {path}: it is damaged or not a Keras model "
                          f"({type(e).__name__}: {str(e).splitlines()[0][:160] if str(e) else ''})",
                          "retrain, or give a .keras file saved by dlterm") from None
    if not isinstance(model, keras.Model):  # a tampered config.json can deserialize to anything
        raise DltermError(f"cannot load the model {path}: it holds a {type(model).__name__}, not a Keras model",
                          "retrain, or give a .keras file saved by dlterm")
    return model


def save_model(model: Any, target: Path) -> None:
    """Save a ``.keras`` file atomically: a crash mid-save leaves the previous file intact."""
    with atomic_path(target, suffix=".keras") as tmp:
        model.save(tmp, overwrite=True)
