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

import math
from dataclasses import dataclass, field
from typing import Any

_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


@dataclass(frozen=True)
class HyperParameter:
    """One tunable setting: its type, default, allowed values and a help line."""

    name: str
    type: str  # "int", "float", "str" or "bool"
    default: Any
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] | None = None

    def describe_range(self) -> str:
        if self.choices is not None:
            return "|".join(str(c) for c in self.choices)
        if self.type == "bool":
            return "true|false"
        lo = "-inf" if self.min is None else _fmt(self.min)
        hi = "inf" if self.max is None else _fmt(self.max)
        return f"[{lo}, {hi}]" if (self.min is not None or self.max is not None) else self.type

    def problems(self) -> list[str]:
        """What is wrong with this spec (empty when it is valid)."""
        out = []
        if not isinstance(self.name, str) or not self.name.isidentifier():
            out.append(f"hyperparameter name {self.name!r} is not an identifier")
        if self.type not in _TYPES:
            out.append(f"{self.name}: type {self.type!r} is not one of {', '.join(_TYPES)}")
            return out
        if self.choices is not None and self.default not in self.choices:
            out.append(f"{self.name}: default {self.default!r} is not among its choices")
        if self.min is not None and self.max is not None and self.min > self.max:
            out.append(f"{self.name}: min {self.min} is above max {self.max}")
        try:
            check_value(self, self.default)
        except ValueError as e:
            out.append(f"{self.name}: default is invalid: {e}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "type": self.type, "default": self.default, "help": self.help,
            "min": self.min, "max": self.max,
            "choices": list(self.choices) if self.choices is not None else None,
        }


def Int(name: str, default: int, *, min: int | None = None, max: int | None = None, help: str = "") -> HyperParameter:
    return HyperParameter(name, "int", default, help, min, max)


def Float(name: str, default: float, *, min: float | None = None, max: float | None = None, help: str = "") -> HyperParameter:
    return HyperParameter(name, "float", default, help, min, max)


def Choice(name: str, default: str, choices: list[str] | tuple[str, ...], *, help: str = "") -> HyperParameter:
    return HyperParameter(name, "str", default, help, choices=tuple(choices))


def Bool(name: str, default: bool, *, help: str = "") -> HyperParameter:
    return HyperParameter(name, "bool", default, help)


def check_value(param: HyperParameter, value: Any) -> Any:
    """Return ``value`` converted to the parameter's type, or raise ValueError saying why.

    Strings (from ``--set`` or a form field) are parsed; typed values (from TOML) are
    checked. An int is accepted where a float is expected, never the other way round.
    """
    kind = param.type
    if isinstance(value, str) and kind != "str":
        value = _parse(kind, value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise ValueError(f"expected a whole number, got {value!r}")
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"expected a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {value!r}")
    elif kind == "str" and not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    if param.choices is not None and value not in param.choices:
        raise ValueError(f"{value!r} is not one of {', '.join(map(str, param.choices))}")
    if param.min is not None and value < param.min:
        raise ValueError(f"{value} is below the minimum {_fmt(param.min)}")
    if param.max is not None and value > param.max:
        raise ValueError(f"{value} is above the maximum {_fmt(param.max)}")
    return value


def _parse(kind: str, text: str) -> Any:
    text = text.strip()
    if kind == "bool":
        low = text.lower()
        if low in ("true", "yes", "on", "1"):
            return True
        if low in ("false", "no", "off", "0"):
            return False
        raise ValueError(f"expected true or false, got {text!r}")
    try:
        return int(text) if kind == "int" else float(text)
    except ValueError:
        raise ValueError(f"expected {'a whole number' if kind == 'int' else 'a number'}, got {text!r}") from None


def _fmt(x: float) -> str:
    return f"{x:g}"


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
