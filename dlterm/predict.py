"""``dlterm predict``: one task-aware predictor for exported files and for runs.

An exported file (or a deploy bundle) goes through :mod:`dlterm_edge` alone (no
TensorFlow). A run id loads the run's Keras model (and, for plugins with an
``inference_parts`` hook such as seq2seq, its encoder and decoder step) behind the same
:class:`~dlterm_edge.predictor.Predictor` (see :mod:`dlterm.trained_model`), so both give
answers in the same form.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dlterm.errors import DltermError
from dlterm.limits import MAX_DATA_BYTES, regular_file
from dlterm.tasks import all_tasks
from dlterm_edge import load
from dlterm_edge.errors import InferenceError
from dlterm_edge.inputs import read_inputs as parse_inputs  # one parser, shared with devices
from dlterm_edge.predictor import Predictor


def predictor_for(model: str, models_dir: Any = None) -> Predictor:
    path = Path(model)
    # os.path.isfile never raises: a text longer than a file name may be is simply no file
    if path.suffix.lower() in (".onnx", ".tflite") or os.path.isfile(path) or os.path.isfile(path / "SHA256SUMS"):
        return load(path)
    from dlterm.runstore import RunStore
    from dlterm.trained_model import keras_predictor

    run = RunStore(models_dir).get(model)
    if not run.checkpoint("best").is_file():
        raise InferenceError(f"run {run.id} has no saved model yet (no completed epoch)")
    return keras_predictor(run)[0]


def read_inputs(predictor: Predictor, inputs: list[str]) -> list[Any]:
    """Command-line inputs in the form the task wants, bounded first (:mod:`dlterm.limits`).

    A text is text unless it starts with ``@``; an ``@file``, an image or a CSV must be a
    regular file under its cap, and an image under the pixel cap, before anything reads it.
    """
    task = all_tasks().get(predictor.task)  # None: a newer task; the device parser decides
    if task is not None and task.text_input:
        for item in inputs:
            if not item.startswith("@"):
                _refuse_file_as_text(item)
    # A CSV is checked against dlterm's data cap (larger than a device's); @FILE texts and
    # images are bounded by the shared parser and image loader (dlterm_edge.limits).
    elif not (task is not None and task.image_input) and len(inputs) == 1 and inputs[0].lower().endswith(".csv"):
        try:
            regular_file(Path(inputs[0]).expanduser(), "CSV file", "give a CSV with a header row", limit=MAX_DATA_BYTES)
        except DltermError as e:
            raise InferenceError(e.message) from None
    return parse_inputs(predictor, inputs)


def _refuse_file_as_text(item: str) -> None:
    """A text model reads its arguments as text (a path stays text: ``@FILE`` reads one),
    but an existing image given by mistake would be classified as the words of its path.
    Say so instead."""
    from dlterm.datasets.images import IMAGE_SUFFIXES

    if Path(item).suffix.lower() in IMAGE_SUFFIXES and os.path.isfile(Path(item).expanduser()):
        raise InferenceError(f"{item} is an image, but this model reads text: give it a text "
                             "(or @FILE to read a text file)")
