"""Image augmentation for the training split only, as a tf.data map.

Keras preprocessing layers do rotation, shift, flip and zoom; tf-keras has no shear layer,
so shear is a random projective transform. Augmentation lives in the input pipeline, not
in the model, so exported models carry no augmentation layers.
"""

from __future__ import annotations

from typing import Any

from dlterm.keras_env import keras, tf


def augmenter(options: dict[str, Any], seed: int):
    """A function (images, labels) -> (augmented images, labels) for a batched dataset."""
    steps = []
    if options["rotation"] > 0:
        steps.append(keras.layers.RandomRotation(options["rotation"], fill_mode="constant", seed=seed))
    if options["shift"] > 0:
        steps.append(keras.layers.RandomTranslation(options["shift"], options["shift"], fill_mode="constant", seed=seed + 1))
    if options["flip"] != "none":
        mode = "horizontal_and_vertical" if options["flip"] == "both" else options["flip"]
        steps.append(keras.layers.RandomFlip(mode, seed=seed + 2))
    if options["zoom"] > 0:
        steps.append(keras.layers.RandomZoom(options["zoom"], fill_mode="constant", seed=seed + 3))
    shear = options["shear"]

    def apply(images, labels):
        for layer in steps:
            images = layer(images, training=True)
        if shear > 0:
            images = random_shear(images, shear)
        return images, labels

    return apply


def random_shear(images, max_shear: float):
    """Shear each image horizontally by a factor in [-max_shear, max_shear] about its centre."""
    batch = tf.shape(images)[0]
    height = tf.cast(tf.shape(images)[1], tf.float32)
    k = tf.random.uniform([batch], -max_shear, max_shear)
    zeros, ones = tf.zeros([batch]), tf.ones([batch])
    # Output pixel (x, y) samples input (x + k*y - k*h/2, y): a shear that keeps the centre row.
    transforms = tf.stack([ones, k, -k * height / 2, zeros, ones, zeros, zeros, zeros], axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images, transforms=transforms, output_shape=tf.shape(images)[1:3],
        fill_value=0.0, interpolation="BILINEAR", fill_mode="CONSTANT")
