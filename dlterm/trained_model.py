"""A run's trained model as inference sees it: the checkpoint, its parts, its metadata,
and the plugin it came from (from the plugin folders it was trained with).

Evaluation, export, the benchmark and ``dlterm predict RUN`` all build their Keras
predictor here, behind the same :class:`~dlterm_edge.predictor.Predictor` that runs exported
files, so every service compares like with like.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlterm import __version__
from dlterm.checkpoints import load_model
from dlterm.datasets import recipe
from dlterm.discovery import Plugin, get_plugin
from dlterm.errors import DltermError
from dlterm.runstore import PREPROCESSING_JSON, Run
from dlterm_edge.predictor import Predictor


class KerasBackend:
    """A Keras model as a part: {input name: batch} -> output, in chunks, through a traced
    ``tf.function``. Eager calls cost far more per call: a char-LSTM step took 800 ms eager
    against 39 ms traced here, which made generating a 300-character sample take minutes.
    One trace per input shape (a full chunk, the last partial one, a generation step)."""

    def __init__(self, model: Any, chunk: int = 512):
        from dlterm.keras_env import tf

        self.model = model
        self.names = [t.name.split(":")[0] for t in model.inputs]
        self.chunk = chunk
        self.fn = tf.function(lambda xs: model(xs, training=False), reduce_retracing=True)

    def __call__(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        n = len(inputs[self.names[0]])
        outs = []
        for i in range(0, max(n, 1), self.chunk):
            xs = [inputs[name][i:i + self.chunk] for name in self.names]
            outs.append(np.asarray(self.fn(xs if len(xs) > 1 else xs[0])))
        return np.concatenate(outs) if outs else np.zeros((0,), np.float32)


def plugin_of(run: Run) -> Plugin | None:
    """The plugin that trained ``run``, searched in the plugin folders it was trained with
    (recorded in run.json), or None when it is gone."""
    dirs = [d for d in run.meta.get("plugin_dirs") or [] if isinstance(d, str)]
    try:
        return get_plugin(run.meta["plugin"], dirs)
    except DltermError:
        return None


def model_parts(run: Run, model: Any, plugin: Plugin | None = None) -> dict[str, Any]:
    """The Keras models inference runs: the plugin's ``inference_parts``, else the model.

    ``plugin`` saves a second discovery when the caller has it (the trainer does).
    """
    plugin = plugin or plugin_of(run)
    if plugin is None or plugin.inference_parts is None:
        return {"model": model}  # the plugin is gone: a single-model run still predicts
    return dict(plugin.inference_parts(model, dict(run.meta["config"]["hyperparameters"])))


def export_metadata(run: Run, parts: dict[str, Any], quantize: str = "none", files: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything a device needs to use the model, as plain JSON.

    ``parts`` are the Keras models inference runs ({"model": model} for most plugins);
    with several, each file's metadata names all of them and their files.
    """
    def io(model: Any) -> dict[str, Any]:
        return {"inputs": [{"name": t.name.split(":")[0], "shape": [None, *t.shape[1:]], "dtype": t.dtype.name}
                           for t in model.inputs],
                "outputs": [{"name": t.name.split("/")[0], "shape": [None, *t.shape[1:]], "dtype": t.dtype.name}
                            for t in model.outputs]}

    meta = {
        "format_version": 1, "dlterm_version": __version__, "run_id": run.id, "plugin": run.meta["plugin"],
        "task": run.meta["task"], "dataset": run.meta["dataset"], "quantize": quantize,
        "class_names": run.meta.get("class_names") or None,
        # complete(): runs trained before the full recipe was recorded get its fixed rules too
        "preprocessing": recipe.complete(run_preprocessing(run)),
    }
    if list(parts) == ["model"]:
        return {**meta, **io(parts["model"])}
    return {**meta, "inputs": [], "parts": {name: {"file": (files or {}).get(name, ""), **io(m)} for name, m in parts.items()}}


def run_preprocessing(run: Run) -> dict[str, Any]:
    """preprocessing.json, read as untrusted input (capped, no links, an object)."""
    prep = run.record(PREPROCESSING_JSON)
    if prep is None:
        raise DltermError(f"run {run.id} is damaged: preprocessing.json is missing or unreadable",
                          "the run cannot be used for inference; train a new one")
    return prep


def keras_predictor(run: Run, checkpoint: str = "best",
                    plugin: Plugin | None = None) -> tuple[Predictor, dict[str, Any]]:
    """A Predictor over the run's Keras model(s), and those Keras parts by name."""
    model = load_model(run.checkpoint(checkpoint), compile=False)
    parts = model_parts(run, model, plugin)
    return Predictor({name: KerasBackend(m) for name, m in parts.items()}, export_metadata(run, parts)), parts
