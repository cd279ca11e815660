"""``dlterm new-plugin``: write a working plugin skeleton the user can edit."""

from __future__ import annotations

import re
from pathlib import Path

from dlterm.errors import DltermError
from dlterm.fileio import write_text
from dlterm.tasks import all_tasks

TEMPLATE = '''"""{title}: a dlterm architecture plugin.

Edit freely: dlterm reads the declarations below; `build` runs only when training.
See `dlterm plugins show cnn` and the README's "Writing a plugin" for the contract.
"""

from dlterm.plugin_api import Bool, Choice, Float, Int

NAME = "{name}"
TITLE = "{title}"
DESCRIPTION = """
{description} Replace this paragraph with what the architecture is and when to use it.
"""
TASK = "{task}"
DEFAULT_DATASET = "{dataset}"
HYPERPARAMETERS = [
    Int("units", 64, min=1, max=4096, help="units of the hidden layer"),
    Float("dropout", 0.2, min=0.0, max=0.9, help="dropout after the hidden layer"),
{extra_hyperparameters}]
TRAINING_DEFAULTS = {{"epochs": 5}}


def build(spec, hp):
    # Import Keras here, not at the top: listing plugins must not load TensorFlow.
    from dlterm.keras_env import keras, layers

{body}
    return keras.Model(inputs, outputs, name=NAME)
'''

def new_plugin(name: str, folder: Path, task: str, force: bool = False) -> Path:
    if not re.match(r"^[a-z][a-z0-9_]{0,39}$", name):
        raise DltermError(f"plugin name {name!r} is not valid", "use lower-case letters, digits and '_', starting with a letter")
    tasks = all_tasks()
    supported = ", ".join(name for name, t in tasks.items() if t.skeleton)
    if task not in tasks:
        raise DltermError(f"unknown task {task!r}", f"choose one of: {supported}")
    skeleton = tasks[task].skeleton
    if skeleton is None:  # sequence-to-sequence needs the inference_parts hook: start from the builtin
        raise DltermError(f"no skeleton for task {task!r}", f"copy the builtin plugins/seq2seq.py, or choose one of: {supported}")
    path = folder / f"{name}.py"
    if path.exists() and not force:
        raise DltermError(f"{path} already exists", "choose another name or pass --force to overwrite it")
    title = name.replace("_", " ").capitalize() + " network"
    try:
        write_text(path, TEMPLATE.format(name=name, title=title, task=task, dataset=skeleton.dataset,
                                          description=skeleton.description, body=skeleton.body,
                                          extra_hyperparameters=skeleton.extra_hyperparameters))
    except OSError as e:
        raise DltermError(f"cannot write {path}: {e.strerror}", "choose a writable folder with --plugin-dir", exit_code=1) from None
    return path
