"""``dlterm new-plugin``: write a working plugin skeleton the user can edit."""

from __future__ import annotations

import re
from pathlib import Path

from dlterm.errors import DltermError
from dlterm.fileio import write_text
from dlterm.plugin_api import TASKS

TEMPLATE = '''"""{title}: a dlterm architecture plugin.

Edit freely: dlterm reads the declarations below; `build` runs only when training.
See `dlterm plugins show cnn` and the README's "Writing a plugin" for the contract.
"""

from dlterm.plugin_api import Bool, Choice, Float, Int

NAME = "{name}"
TITLE = "{title}"
DESCRIPTION = """
A small dense network for {task}. Replace this paragraph with what the architecture is
and when to use it.
"""
TASK = "{task}"
DEFAULT_DATASET = "{dataset}"
HYPERPARAMETERS = [
    Int("units", 64, min=1, max=4096, help="units of the hidden layer"),
    Float("dropout", 0.2, min=0.0, max=0.9, help="dropout after the hidden layer"),
]
TRAINING_DEFAULTS = {{"epochs": 5}}


def build(spec, hp):
    # Import Keras here, not at the top: listing plugins must not load TensorFlow.
    from dlterm.keras_env import keras, layers

    inputs = keras.Input(shape=spec.input_shape, name=spec.inputs[0].name)
    x = layers.Flatten()(inputs)
    x = layers.Dense(hp["units"], activation="relu")(x)
    x = layers.Dropout(hp["dropout"])(x)
    {output}
    return keras.Model(inputs, outputs, name=NAME)
'''

_DEFAULT_DATASET = {"image-classification": "shapes", "sequence-forecasting": "seasonal"}


def new_plugin(name: str, folder: Path, task: str, force: bool = False) -> Path:
    if not re.match(r"^[a-z][a-z0-9_]{0,39}$", name):
        raise DltermError(f"plugin name {name!r} is not valid", "use lower-case letters, digits and '_', starting with a letter")
    if task not in _DEFAULT_DATASET:
        supported = ", ".join(_DEFAULT_DATASET)
        raise DltermError(f"no skeleton for task {task!r}" if task in TASKS else f"unknown task {task!r}", f"choose one of: {supported}")
    path = folder / f"{name}.py"
    if path.exists() and not force:
        raise DltermError(f"{path} already exists", "choose another name or pass --force to overwrite it")
    output = ('outputs = layers.Dense(spec.num_classes, activation="softmax")(x)' if task == "image-classification"
              else "outputs = layers.Dense(spec.output_shape[0])(x)")
    title = name.replace("_", " ").capitalize() + " network"
    try:
        write_text(path, TEMPLATE.format(name=name, title=title, task=task, dataset=_DEFAULT_DATASET[task], output=output))
    except OSError as e:
        raise DltermError(f"cannot write {path}: {e.strerror}", "choose a writable folder with --plugin-dir", exit_code=1) from None
    return path
