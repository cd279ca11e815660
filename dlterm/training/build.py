"""The model: the plugin's builder called and checked, then compiled for its task."""

from __future__ import annotations

from typing import Any

from dlterm.discovery import Plugin
from dlterm.errors import DltermError, TrainingFailed
from dlterm.tasks import get_task


def build_model(plugin: Plugin, spec: Any, hp: dict[str, Any]) -> Any:
    """Call the plugin's builder and check it returned a Keras model of the right shape."""
    from dlterm.keras_env import keras

    try:
        model = plugin.build(spec, dict(hp))
    except DltermError:
        raise
    except (Exception, SystemExit) as e:  # noqa: BLE001 - a plugin bug (even sys.exit()) must not look like dlterm
        raise TrainingFailed(f"plugin '{plugin.name}' failed to build its model: {type(e).__name__}: {e}",
                             f"fix build() in {plugin.origin}") from e
    if not isinstance(model, keras.Model):
        raise TrainingFailed(f"plugin '{plugin.name}' build() returned {type(model).__name__}, not a Keras model",
                             f"return a tf_keras Model (import keras from dlterm.keras_env) in {plugin.origin}")
    want = (None, *spec.output_shape)
    got = tuple(model.output_shape) if not isinstance(model.output_shape, list) else None
    if got != want:
        raise TrainingFailed(f"plugin '{plugin.name}' built a model with output shape {got}, but the data needs {want}",
                             f"size the last layer from spec.output_shape in {plugin.origin}")
    want_in = [(None, *i.shape) for i in spec.inputs]
    got_in = [tuple(s) for s in (model.input_shape if isinstance(model.input_shape, list) else [model.input_shape])]
    if len(got_in) != len(want_in) or any(not _shape_fits(g, w) for g, w in zip(got_in, want_in)):
        raise TrainingFailed(f"plugin '{plugin.name}' built a model with inputs {got_in}, but the data gives {want_in}",
                             f"build the inputs from spec.inputs in {plugin.origin}")
    return model


def _shape_fits(got: tuple, want: tuple) -> bool:
    return len(got) == len(want) and all(g is None or w is None or g == w for g, w in zip(got, want))


def compile_model(model: Any, task: str, options: dict[str, Any], steps_per_epoch: int) -> None:
    from dlterm.training.optim import make_optimizer

    t = get_task(task)
    model.compile(optimizer=make_optimizer(options, steps_per_epoch), loss=t.loss, metrics=list(t.metrics))
