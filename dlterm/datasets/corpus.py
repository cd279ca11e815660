"""Text generation data: windows of characters -> the next character.

* ``pydoc`` (offline default): the reference text that ships with Python itself
  (``pydoc_data.topics``, the help pages of ``help('topics')``): English prose with code,
  always installed, never downloaded.
* ``corpus`` (your file): any UTF-8 text file, e.g. tiny Shakespeare.

The text is split by position (first part train, then validation, then test), so
overlapping windows never leak between splits. The vocabulary is the training part's
characters (0 = pad, 1 = unknown), saved in ``preprocessing.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from dlterm.datasets.base import DataBundle
from dlterm.datasets.memory import check_arrays
from dlterm.datasets.text import SPECIALS, read_text_file
from dlterm.errors import DltermError
from dlterm.plugin_api import DataSpec, TensorSpec
from dlterm_edge.preprocess import UNKNOWN, vocabulary_index


def corpus_bundle(name: str, text: str, settings: dict[str, Any], notes: list[str] | None = None) -> DataBundle:
    if settings["length"]:
        text = text[: settings["length"]]
    window, stride = settings["window"], settings["stride"]
    n = len(text)
    n_test = int(n * settings["test_fraction"])
    n_val = int(n * settings["val_fraction"])
    n_train = n - n_val - n_test
    if min(n_val, n_test) <= window + 1 or n_train <= window + 1:
        raise DltermError(f"the text '{name}' has {n} characters: too short for windows of {window} in train, validation and test",
                          "use a longer text or a smaller --window")
    check_arrays(name, n // stride, window + 1, "lower data.length or data.window, or raise data.stride")
    vocabulary = SPECIALS + sorted(set(text[:n_train]))
    index = vocabulary_index(vocabulary)
    ids = np.array([index.get(c, UNKNOWN) for c in text], dtype=np.int32)

    def windows(start: int, stop: int, step: int) -> tuple[np.ndarray, np.ndarray]:
        ends = np.arange(start + window, stop, step)
        x = np.stack([ids[e - window:e] for e in ends])
        return x, ids[ends]

    x_tr, y_tr = windows(0, n_train, stride)
    x_va, y_va = windows(n_train, n_train + n_val, stride)
    x_te, y_te = windows(n_train + n_val, n, stride)
    counts = np.bincount(y_tr, minlength=len(vocabulary)).astype(np.float64)
    prep = {"kind": "chars", "tokens": "chars", "vocabulary": vocabulary, "window": window,
            "unigram": (counts / counts.sum()).tolist()}
    spec = DataSpec("text-generation", (TensorSpec("window", (window,), "int32"),), (len(vocabulary),),
                    extra={"vocabulary_size": len(vocabulary)})
    bundle = DataBundle(name, spec, x_tr, y_tr, x_va, y_va, x_te, y_te, prep, notes=list(notes or []))
    bundle.extra["seed_text"] = text[n_train + n_val: n_train + n_val + window]
    return bundle


def pydoc_text() -> str:
    from pydoc_data.topics import topics

    return "\n\n".join(topics[k].strip() for k in sorted(topics))


def load_pydoc(settings: dict[str, Any], seed: int) -> DataBundle:
    return corpus_bundle("pydoc", pydoc_text(), settings)


def load_corpus_file(settings: dict[str, Any], seed: int) -> DataBundle:
    path = Path(settings["path"]).expanduser()
    text, notes = read_text_file(path)
    if not text.strip():
        raise DltermError(f"{path} is empty", "give a text file with some prose in it")
    return corpus_bundle(path.stem, text, settings, notes)
