"""VGG-style network: blocks of 3x3 convolutions from scratch, or VGG16 for transfer."""

from dlterm.plugin_api import Bool, Int
from dlterm_plugins import _transfer

NAME = "vgg"
TITLE = "VGG-style network (VGG blocks / VGG16 transfer)"
DESCRIPTION = """
Simonyan & Zisserman 2014: stacks of 3x3 convolutions, then max pooling, the filters
doubling after each pool. From scratch (`weights none`): `blocks` blocks of
`convs_per_block` convolutions from `filters` filters, with BatchNorm (not in the original;
it lets the stack train from scratch on small data), then global pooling and a dense head.
`weights imagenet` uses Keras's VGG16 (ImageNet weights through the Keras loader and
cache) and the two-phase transfer recipe: phase 1 trains the new head on the frozen base,
phase 2 unfreezes the base's top `fine_tune_layers` layers at `fine_tune_lr`.
`run:RUN_ID` takes the base of an earlier vgg run.
"""
TASK = "image-classification"
DEFAULT_DATASET = "shapes"
HYPERPARAMETERS = [
    Int("blocks", 3, min=1, max=6, help="from scratch: convolution blocks, each ending in a 2x2 max pool"),
    Int("convs_per_block", 2, min=1, max=4, help="from scratch: 3x3 convolutions per block (VGG16: 2-3)"),
    Int("filters", 32, min=4, max=512, help="from scratch: filters of the first block (doubled each block)"),
    Bool("batch_norm", True, help="from scratch: BatchNormalization after each convolution"),
    *_transfer.transfer_hyperparameters("VGG16"),
]
TRAINING_DEFAULTS = {"batch_size": 32}
phases = _transfer.phases


def build(spec, hp):
    return _transfer.build_classifier(spec, hp, NAME, lambda shape: _vgg_blocks(shape, hp), _vgg16)


def _vgg16(shape, weights):
    from dlterm.keras_env import keras

    return keras.applications.VGG16(input_shape=shape, include_top=False, weights=weights)


def _vgg_blocks(shape, hp):
    from dlterm.keras_env import keras, layers

    inputs = keras.Input(shape=shape)
    x = inputs
    for block in range(hp["blocks"]):
        for _ in range(hp["convs_per_block"]):
            x = layers.Conv2D(hp["filters"] * 2**block, 3, padding="same", use_bias=not hp["batch_norm"])(x)
            if hp["batch_norm"]:
                x = layers.BatchNormalization(momentum=0.9)(x)
            x = layers.Activation("relu")(x)
        if min(x.shape[1], x.shape[2]) >= 2:  # pool while the image is big enough
            x = layers.MaxPooling2D(2)(x)
    return keras.Model(inputs, x)
