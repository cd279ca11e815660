"""The architecture plugin contract.

A plugin is a Python module that declares, at module level::

    NAME = "cnn"                          # unique, lower-case, [a-z0-9_-]
    TITLE = "Convolutional network"
    DESCRIPTION = "One paragraph: what it is and when to use it."
    TASK = "image-classification"         # a task of dlterm.tasks (`dlterm plugins show` lists them)
    DEFAULT_DATASET = "shapes"            # an offline dataset serving TASK
    HYPERPARAMETERS = [Int("filters", 32, min=4, max=512, help="...")]
    TRAINING_DEFAULTS = {"epochs": 5}     # optional: overrides of dlterm's training options

    def build(spec, hp):                  # returns a Keras model (compiled or not)
        from dlterm.keras_env import keras
        ...

Two optional hooks, for architectures that need them:

    def phases(hp, training):             # training in phases (transfer learning)
        return [Phase("head", training["epochs"]),
                Phase("fine-tune", hp["fine_tune_epochs"], learning_rate=1e-5, prepare=unfreeze)]

    def inference_parts(model, hp):       # the models inference runs, when not the trained one
        return {"encoder": ..., "decoder": ...}   # e.g. seq2seq: encoder + one decoder step

Importing the module must stay cheap: import TensorFlow inside ``build`` only, through
:mod:`dlterm.keras_env`. The model's inputs must match ``spec.inputs`` and its output
``spec.output_shape``; dlterm compiles it with the task's loss unless ``build`` already did.

Nothing in this module imports TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The settings vocabulary plugins declare hyperparameters with (re-exported: plugins
# import everything from this module).
from dlterm.settings import Bool, Choice, Float, HyperParameter, Int, check_value  # noqa: F401


@dataclass(frozen=True)
class Phase:
    """One phase of a multi-phase training (see the module docstring's ``phases`` hook).

    ``prepare(model)`` runs before the phase (e.g. unfreeze layers); the model is then
    compiled again with a fresh optimizer at ``learning_rate`` (None = the training
    option). Epochs count on across phases: history, events and checkpoints are one run.
    """

    name: str
    epochs: int
    learning_rate: float | None = None
    prepare: Any = None


# Set by the trainer while a builder runs: loads an earlier run's best model from the
# models folder of the run being built. The contract only declares the hook, so plugins
# depend on this module alone and this module on nothing of dlterm's services.
_run_model_loader: list[Any] = [None]


def run_model(ref: str) -> Any:
    """The best Keras model of an earlier dlterm run (``ref``: run id, prefix or 'latest').

    For transfer learning: a plugin's builder takes the layers it wants from it. Imports
    TensorFlow, so call it inside ``build`` only.
    """
    loader = _run_model_loader[0]
    if loader is None:
        raise RuntimeError("run_model() is only available inside a plugin's build() during `dlterm train`")
    return loader(ref)


@dataclass(frozen=True)
class TensorSpec:
    """One model input: its name, shape without the batch axis (None = any length), dtype."""

    name: str
    shape: tuple[int | None, ...]
    dtype: str = "float32"


@dataclass(frozen=True)
class DataSpec:
    """What a dataset tells a builder about the model it needs.

    ``output_shape`` is the shape of one target without the batch axis: ``(num_classes,)``
    for classification (targets are class indices, outputs probabilities), ``(1,)`` for a
    one-step forecast. ``extra`` carries task-specific sizes (vocabulary size...).
    """

    task: str
    inputs: tuple[TensorSpec, ...]
    output_shape: tuple[int, ...]
    class_names: tuple[str, ...] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def input_shape(self) -> tuple[int | None, ...]:
        """The shape of the single input, for the common one-input case."""
        return self.inputs[0].shape

    @property
    def num_classes(self) -> int | None:
        return len(self.class_names) if self.class_names else None
