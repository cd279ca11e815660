"""Encoder-decoder (seq2seq) over characters, trained with teacher forcing."""

from dlterm.plugin_api import Choice, Float, Int

NAME = "seq2seq"
TITLE = "Encoder-decoder (seq2seq)"
DESCRIPTION = """
An LSTM (or GRU) encoder reads the source sequence; its final states initialise a decoder
that writes the target one character at a time (Sutskever et al. 2014; the Keras
translation example). Training feeds the true previous character (teacher forcing);
inference runs the encoder once, then a one-step decoder model in a greedy loop until the
end token or the maximum length. Exports as two files: encoder and decoder step.
"""
TASK = "sequence-to-sequence"
DEFAULT_DATASET = "dates"
HYPERPARAMETERS = [
    Choice("cell", "lstm", ("lstm", "gru"), help="recurrent cell of encoder and decoder"),
    Int("embedding_dim", 32, min=2, max=1024, help="size of each character vector"),
    Int("units", 128, min=1, max=4096, help="units of the encoder and the decoder (their states must match)"),
    Float("dropout", 0.0, min=0.0, max=0.9, help="dropout on the decoder outputs"),
]
TRAINING_DEFAULTS = {"epochs": 15, "batch_size": 64, "learning_rate": 0.003}


def build(spec, hp):
    from dlterm.keras_env import keras, layers

    cell = layers.LSTM if hp["cell"] == "lstm" else layers.GRU
    source = keras.Input(shape=spec.inputs[0].shape, dtype="int32", name=spec.inputs[0].name)
    previous = keras.Input(shape=spec.inputs[1].shape, dtype="int32", name=spec.inputs[1].name)
    x = layers.Embedding(spec.extra["source_vocabulary_size"], hp["embedding_dim"], name="source_embedding")(source)
    states = cell(hp["units"], return_state=True, name="encoder")(x)[1:]
    y = layers.Embedding(spec.extra["target_vocabulary_size"], hp["embedding_dim"], name="target_embedding")(previous)
    y = cell(hp["units"], return_sequences=True, return_state=True, name="decoder")(y, initial_state=states)[0]
    if hp["dropout"] > 0:
        y = layers.Dropout(hp["dropout"])(y)
    outputs = layers.Dense(spec.output_shape[-1], activation="softmax", name="next_token")(y)
    return keras.Model([source, previous], outputs, name="seq2seq")


def inference_parts(model, hp):
    """The encoder (source -> state) and one decoder step ((token, state) -> [probs, state]).

    States travel as one tensor (LSTM: h and c side by side) and the step's output is the
    next-token probabilities followed by the new state, so each part has one input per
    role and one output: simple to run on any runtime.
    """
    from dlterm.keras_env import keras, layers

    units = hp["units"]
    encoder_states = model.get_layer("encoder").output[1:]
    state_out = encoder_states[0] if len(encoder_states) == 1 else layers.Concatenate()(encoder_states)
    encoder = keras.Model(model.inputs[0], state_out, name="encoder")

    token = keras.Input(shape=(1,), dtype="int32", name="token")
    state = keras.Input(shape=(units * len(encoder_states),), name="state")
    initial = [state] if len(encoder_states) == 1 else [state[:, :units], state[:, units:]]
    y = model.get_layer("target_embedding")(token)
    y, *new_states = model.get_layer("decoder")(y, initial_state=initial)
    probs = layers.Reshape((-1,))(model.get_layer("next_token")(y))
    decoder = keras.Model([token, state], layers.Concatenate()([probs, *new_states]), name="decoder")
    return {"encoder": encoder, "decoder": decoder}
