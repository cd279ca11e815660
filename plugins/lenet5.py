"""LeNet-5 (LeCun et al., 1998), in its common modern form."""

from dlterm.plugin_api import Choice

NAME = "lenet5"
TITLE = "LeNet-5"
DESCRIPTION = """
The 1998 digit recogniser that started convolutional networks: two convolution + average
pooling stages (6 and 16 filters of 5x5), then dense layers of 120 and 84 units. Small
(about 60k parameters) and fast; a baseline to compare deeper CNNs against.
"""
TASK = "image-classification"
DEFAULT_DATASET = "shapes"
HYPERPARAMETERS = [
    Choice("activation", "tanh", ("tanh", "relu"), help="tanh as in the paper, or relu"),
    Choice("pooling", "average", ("average", "max"), help="subsampling layers"),
]
TRAINING_DEFAULTS = {"epochs": 10}  # tanh + average pooling learn more slowly than the cnn


def build(spec, hp):
    from dlterm.keras_env import keras, layers

    act = hp["activation"]
    pool = layers.AveragePooling2D if hp["pooling"] == "average" else layers.MaxPooling2D
    inputs = keras.Input(shape=spec.input_shape, name=spec.inputs[0].name)
    x = layers.Conv2D(6, 5, padding="same", activation=act)(inputs)
    x = pool(2)(x)
    x = layers.Conv2D(16, 5, padding="valid" if x.shape[1] > 5 else "same", activation=act)(x)
    if x.shape[1] >= 2:
        x = pool(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(120, activation=act)(x)
    x = layers.Dense(84, activation=act)(x)
    outputs = layers.Dense(spec.num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="lenet5")
