"""Residual network: a small pre-activation ResNet from scratch, or ResNet50 for transfer."""

from dlterm.plugin_api import Int
from dlterm_plugins import _transfer

NAME = "resnet"
TITLE = "Residual network (pre-activation ResNet / ResNet50 transfer)"
DESCRIPTION = """
Residual blocks (He et al. 2016): each block adds its input to what two 3x3 convolutions
make of it, so gradients reach early layers through the shortcuts and deep stacks train.
From scratch (`weights none`) it is a small pre-activation ResNet (BatchNorm and ReLU before
each convolution): `stages` stages of `blocks` blocks, `width` filters doubling each stage,
each stage after the first halving the image; 3 stages of 3 blocks is ResNet-20.
`weights imagenet` uses Keras's ResNet50 (ImageNet weights through the Keras loader and
cache) and the two-phase transfer recipe: phase 1 trains the new head on the frozen base,
phase 2 unfreezes the base's top `fine_tune_layers` layers at `fine_tune_lr`.
`run:RUN_ID` takes the base of an earlier resnet run (pretrain on a large dataset of your
domain, transfer to a small one).
"""
TASK = "image-classification"
DEFAULT_DATASET = "shapes"
HYPERPARAMETERS = [
    Int("stages", 3, min=1, max=5, help="from scratch: stages; each after the first halves the image and doubles the width"),
    Int("blocks", 2, min=1, max=16, help="from scratch: residual blocks per stage (2 convolutions each)"),
    Int("width", 16, min=4, max=512, help="from scratch: filters of the first stage"),
    *_transfer.transfer_hyperparameters("ResNet50"),
]
TRAINING_DEFAULTS = {"batch_size": 32}
phases = _transfer.phases


def build(spec, hp):
    return _transfer.build_classifier(spec, hp, NAME, lambda shape: _preactivation_resnet(shape, hp), _resnet50)


def _resnet50(shape, weights):
    from dlterm.keras_env import keras

    return keras.applications.ResNet50(input_shape=shape, include_top=False, weights=weights)


def _preactivation_resnet(shape, hp):
    from dlterm.keras_env import keras, layers

    def bn_relu(x):
        # momentum 0.9: the moving statistics used at inference settle within a short run.
        return layers.Activation("relu")(layers.BatchNormalization(momentum=0.9)(x))

    def block(x, filters, stride):
        pre = bn_relu(x)
        shortcut = x
        if stride != 1 or x.shape[-1] != filters:  # projection where the shape changes
            # A 1x1 convolution of stride 2, written as every other pixel (a 1x1 max pool of
            # stride 2) then a 1x1 convolution: the same function and weights, but TF 2.21's
            # oneDNN kernel for the strided 1x1 convolution corrupts the heap when training
            # on a batch smaller than the others (the last one of an epoch): a crash, not an error.
            every_other = layers.MaxPooling2D(1, strides=stride)(pre) if stride != 1 else pre
            shortcut = layers.Conv2D(filters, 1, use_bias=False)(every_other)
        y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(pre)
        y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(bn_relu(y))
        return layers.Add()([shortcut, y])

    inputs = keras.Input(shape=shape)
    x = layers.Conv2D(hp["width"], 3, padding="same", use_bias=False)(inputs)
    for stage in range(hp["stages"]):
        for b in range(hp["blocks"]):
            # Halve the image at the start of each later stage while it is still big enough.
            stride = 2 if stage > 0 and b == 0 and min(x.shape[1], x.shape[2]) >= 4 else 1
            x = block(x, hp["width"] * 2**stage, stride)
    return keras.Model(inputs, bn_relu(x))
