"""Exploration: which bilstm head and regularisation lift GloVe-50 on Pang & Lee, in plain
Keras on dlterm's own split (seed 0: 7,479 / 1,603 / 1,603; 50 tokens, all 16,054 training
words), so a variant costs one fit and no run folder. What it found is what plugins/bilstm.py
builds (`pooling max_mean`); the CLI's numbers are bench/glove_text.py's.

    python bench/glove_variants.py pool 0 1 2      # a variant, then the seeds of its weights

Variants (GloVe fine-tuned unless named; dropout 0.5; Adam 1e-3; batch 32; at most 15
epochs, early stopping with patience 3 on validation accuracy, best weights restored):
  last        BiLSTM(64) last states (the former bilstm)
  pool        BiLSTM(64) states, max and mean over the text (bilstm's pooling max_mean)
  mpool       pool, but padding excluded from the max and the mean
  pool-extra  pool, with GloVe's 100,000 most frequent words added to the vocabulary, so
              test words unseen in training keep their vectors
  pool-word   pool, whole words dropped (25%) instead of whole dimensions
  pool-delta  frozen GloVe plus a trainable, L2-regularised (1e-4) offset per word
  pool-bigram pool, plus the mean of hashed word-bigram embeddings (2^18 x 16)
  pool-128    pool with 128 units, up to 30 epochs, patience 5
  pool-scratch pool from random 64-dimensional embeddings (no GloVe)
  cnn         Kim (2014): convolutions of width 3, 4, 5 (100 filters each), max over time
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from common import RESULTS
from text_classification import polarity_csv


def build(variant: str, vocabulary_size: int, matrix, units: int = 64, drop: float = 0.5):
    import tensorflow as tf

    from dlterm.keras_env import keras, layers

    inputs = keras.Input((50,), dtype="int32")

    def glove(trainable=True):
        layer = layers.Embedding(vocabulary_size, 50, trainable=trainable)
        layer.build((None,))
        layer.set_weights([matrix])
        return layer

    if variant == "pool-delta":
        offset = layers.Embedding(vocabulary_size, 50, embeddings_initializer="zeros",
                                  embeddings_regularizer=keras.regularizers.l2(1e-4))
        x = layers.Add()([glove(False)(inputs), offset(inputs)])
    elif variant == "pool-scratch":
        x = layers.Embedding(vocabulary_size, 64)(inputs)
    else:
        x = glove()(inputs)
    if variant == "pool-word":
        x = layers.Dropout(0.25, noise_shape=(None, 50, 1))(x)
    else:
        x = layers.SpatialDropout1D(drop)(x)
    if variant == "cnn":
        x = layers.Concatenate()([layers.GlobalMaxPooling1D()(layers.Conv1D(100, k, activation="relu")(x)) for k in (3, 4, 5)])
    elif variant == "last":
        x = layers.Bidirectional(layers.LSTM(units))(x)
    else:
        h = layers.Bidirectional(layers.LSTM(units, return_sequences=True))(x)
        if variant == "mpool":
            mask = layers.Lambda(lambda t: tf.cast(t > 0, "float32")[:, :, None])(inputs)
            largest = layers.Lambda(lambda a: tf.reduce_max(a[0] + (a[1] - 1.0) * 1e4, axis=1))([h, mask])
            mean = layers.Lambda(lambda a: tf.reduce_sum(a[0] * a[1], axis=1) / tf.maximum(tf.reduce_sum(a[1], axis=1), 1.0))([h, mask])
            x = layers.Concatenate()([largest, mean])
        else:
            x = layers.Concatenate()([layers.GlobalMaxPooling1D()(h), layers.GlobalAveragePooling1D()(h)])
    if variant == "pool-bigram":
        buckets = 2**18
        bigrams = layers.Lambda(lambda t: (t[:, :-1] * 7919 + t[:, 1:]) % buckets)(inputs)
        x = layers.Concatenate()([x, layers.GlobalAveragePooling1D()(layers.Embedding(buckets, 16)(bigrams))])
    x = layers.Dropout(drop)(x)
    x = layers.Dense(32, activation="relu")(x)
    return keras.Model(inputs, layers.Dense(2, activation="softmax")(x))


def fit(variant: str, seed: int) -> dict:
    import tensorflow as tf

    from dlterm.datasets.text import load_text_file
    from dlterm.embeddings import glove_folder, read_glove, vocabulary_matrix
    from dlterm.keras_env import keras
    from dlterm_edge.preprocess import encode_text

    with tempfile.TemporaryDirectory() as tmp:
        settings = {"path": str(polarity_csv(Path(tmp))), "text_column": "", "label_column": "", "max_words": 20000,
                    "max_length": 50, "val_fraction": 0.15, "test_fraction": 0.15}
        bundle = load_text_file(settings, 0)
    vocabulary = list(bundle.spec.extra["vocabulary"])
    words, vectors = read_glove(glove_folder())
    x_test = bundle.x_test
    if variant == "pool-extra":
        known = set(vocabulary)
        vocabulary += [w for w in words[:100_000] if w not in known]
        x_test = encode_text(bundle.extra["test_texts"], dict(bundle.preprocessing, vocabulary=vocabulary))
    matrix, _ = vocabulary_matrix(vocabulary, words, vectors)
    tf.keras.utils.set_random_seed(seed)
    wide = variant == "pool-128"
    model = build(variant, len(vocabulary), matrix, units=128 if wide else 64)
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", ["accuracy"])
    start = time.time()
    history = model.fit(bundle.x_train, bundle.y_train, validation_data=(bundle.x_val, bundle.y_val), batch_size=32,
                        epochs=30 if wide else 15, verbose=0, callbacks=[keras.callbacks.EarlyStopping(
                            "val_accuracy", patience=5 if wide else 3, restore_best_weights=True)])
    return {"variant": variant, "seed": seed, "epochs": len(history.history["val_accuracy"]),
            "best_val_accuracy": max(history.history["val_accuracy"]),
            "test_accuracy": model.evaluate(x_test, bundle.y_test, verbose=0)[1], "seconds": round(time.time() - start)}


def main(variant: str, seeds: list[int]) -> None:
    path = RESULTS / "glove_variants.json"
    rows = json.loads(path.read_text())["rows"] if path.is_file() else []
    for seed in seeds:
        rows.append(fit(variant, seed))
        print(rows[-1], flush=True)
        path.write_text(json.dumps({"produced_by": "python bench/glove_variants.py VARIANT SEED...", "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], [int(s) for s in sys.argv[2:]] or [0])
