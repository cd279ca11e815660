"""Character-level text generator: stacked LSTMs over windows of characters."""

from dlterm.plugin_api import Float, Int

NAME = "charlstm"
TITLE = "Character-level LSTM generator"
DESCRIPTION = """
Reads a window of characters and predicts the next one (the char-rnn model). Generation
feeds each sampled character back in: `dlterm predict RUN "seed text" --length 300
--temperature 0.8` (lower temperatures are safer, higher more surprising). Learns
spelling, punctuation and layout of any text file; evaluated in bits per character.
"""
TASK = "text-generation"
DEFAULT_DATASET = "pydoc"
HYPERPARAMETERS = [
    Int("embedding_dim", 32, min=2, max=1024, help="size of each character vector"),
    Int("units", 128, min=1, max=4096, help="units of each LSTM layer"),
    Int("layers", 2, min=1, max=4, help="stacked LSTM layers"),
    Float("dropout", 0.1, min=0.0, max=0.9, help="dropout after each LSTM layer"),
]
TRAINING_DEFAULTS = {"epochs": 10, "batch_size": 128, "learning_rate": 0.003}


def build(spec, hp):
    from dlterm.keras_env import keras, layers

    inputs = keras.Input(shape=spec.input_shape, dtype="int32", name=spec.inputs[0].name)
    x = layers.Embedding(spec.extra["vocabulary_size"], hp["embedding_dim"], name="embedding")(inputs)
    for i in range(hp["layers"]):
        x = layers.LSTM(hp["units"], return_sequences=i < hp["layers"] - 1)(x)
        if hp["dropout"] > 0:
            x = layers.Dropout(hp["dropout"])(x)
    outputs = layers.Dense(spec.output_shape[0], activation="softmax", name="next_char")(x)
    return keras.Model(inputs, outputs, name="charlstm")
