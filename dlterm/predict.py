"""``dlterm predict``: one task-aware predictor for exported files and for runs.

An exported file (or a deploy bundle) goes through :mod:`dlterm_edge` alone (no
TensorFlow). A run id loads the run's Keras model (and, for plugins with an
``inference_parts`` hook such as seq2seq, its encoder and decoder step) behind the same
:class:`~dlterm_edge.predictor.Predictor` (see :mod:`dlterm.trained_model`), so both give
answers in the same form.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dlterm_edge import load
from dlterm_edge.errors import InferenceError
from dlterm_edge.inputs import TEXT_TASKS, read_inputs  # noqa: F401 - one copy, shared with devices
from dlterm_edge.predictor import Predictor


def predictor_for(model: str, models_dir: Any = None) -> Predictor:
    path = Path(model)
    if path.suffix.lower() in (".onnx", ".tflite") or path.is_file() or (path / "SHA256SUMS").is_file():
        return load(path)
    from dlterm.runstore import RunStore
    from dlterm.trained_model import keras_predictor

    run = RunStore(models_dir).get(model)
    if not run.file("best.keras").is_file():
        raise InferenceError(f"run {run.id} has no saved model yet (no completed epoch)")
    return keras_predictor(run)[0]
