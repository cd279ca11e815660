"""The seed tutorial's convolutional network, with its depth and widths as hyperparameters."""

from dlterm.plugin_api import Bool, Float, Int

NAME = "cnn"
TITLE = "Convolutional network"
DESCRIPTION = """
Stacked convolution blocks (Conv2D + optional BatchNorm + MaxPool, filters doubling each
block), then Flatten, a Dense layer, Dropout and a softmax classifier. The classic first
model for image classification: with 3 blocks and 32 filters it is the seed tutorial's
MNIST network (about 98-99% on digits).
"""
TASK = "image-classification"
DEFAULT_DATASET = "shapes"
HYPERPARAMETERS = [
    Int("blocks", 3, min=1, max=6, help="convolution blocks; each but the last halves the image"),
    Int("filters", 32, min=4, max=512, help="filters of the first block (doubled each block)"),
    Int("kernel_size", 3, min=1, max=11, help="square kernel size"),
    Int("dense_units", 128, min=8, max=4096, help="units of the hidden dense layer"),
    Float("dropout", 0.5, min=0.0, max=0.9, help="dropout before the classifier"),
    Bool("batch_norm", True, help="BatchNormalization after each convolution"),
]
TRAINING_DEFAULTS = {"epochs": 5, "batch_size": 32}


def build(spec, hp):
    from dlterm.keras_env import keras, layers

    inputs = keras.Input(shape=spec.input_shape, name=spec.inputs[0].name)
    x = inputs
    for block in range(hp["blocks"]):
        x = layers.Conv2D(hp["filters"] * 2**block, hp["kernel_size"], activation="relu")(x)
        last = block == hp["blocks"] - 1
        if not last:
            if hp["batch_norm"]:
                # momentum 0.9, not Keras's 0.99: the moving statistics used at inference
                # settle within one short epoch instead of lagging for hundreds of steps.
                x = layers.BatchNormalization(momentum=0.9)(x)
            if x.shape[1] >= 2 and x.shape[2] >= 2:
                x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(hp["dense_units"], activation="relu")(x)
    x = layers.Dropout(hp["dropout"])(x)
    outputs = layers.Dense(spec.num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="cnn")
