"""What the resnet and vgg plugins share: one base network inside the model, taken from
ImageNet (Keras's loader), an earlier run, or built from scratch, plus the two-phase
transfer recipe (head first, then the top of the base at a low learning rate).

The base is a nested Keras model named ``BASE``, so ``run:RUN_ID`` can take it whole from
an earlier run, whatever its depth and width. Images reach it resized to its input size and
with its channel count; an ImageNet base also gets Keras's "caffe" preprocessing (RGB->BGR,
0-255, mean subtracted) as a frozen 1x1 layer, so exported models need no Python for it.
"""

from dlterm.plugin_api import Bool, Float, HyperParameter, Int, Phase

BASE = "base"
IMAGENET_PREPROCESS = "imagenet_preprocess"
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)  # keras.applications.imagenet_utils, mode "caffe"


def transfer_hyperparameters(imagenet_model: str) -> list:
    return [
        HyperParameter("weights", "str", "none",
                       f"none (train from scratch), imagenet ({imagenet_model} through the Keras loader and cache) "
                       "or run:RUN_ID (the base of an earlier run of this plugin)"),
        Int("input_size", 0, min=0, max=512,
            help="images are resized to this square size inside the model (0 = the data's size; imagenet: at least 32)"),
        Int("dense_units", 128, min=0, max=4096, help="hidden dense layer of the head (0 = none)"),
        Float("dropout", 0.3, min=0.0, max=0.9, help="dropout before the classifier"),
        Int("fine_tune_epochs", 3, min=0, max=10_000, help="transfer: epochs of phase 2 (0 = no fine-tuning)"),
        Int("fine_tune_layers", 30, min=1, max=1000, help="transfer: phase 2 unfreezes this many of the base's last layers"),
        Float("fine_tune_lr", 1e-5, min=1e-9, max=1.0, help="transfer: learning rate of phase 2"),
        Bool("adapt_batchnorm", False, help="transfer: phase 2 also trains BatchNorm (for a base from very different images)"),
    ]


def phases(hp, training):
    if hp["weights"].strip() == "none":  # nothing pretrained to protect: one phase
        return [Phase("train", training["epochs"])]
    return [Phase("head", training["epochs"]),
            Phase("fine-tune", hp["fine_tune_epochs"], learning_rate=hp["fine_tune_lr"],
                  prepare=lambda model: unfreeze_top(model, hp["fine_tune_layers"], hp["adapt_batchnorm"]))]


def unfreeze_top(model, count, batchnorm=False):
    """Make the base trainable from its last ``count`` layers on; BatchNorm stays frozen
    unless ``batchnorm`` (its statistics come from the pretraining images)."""
    base = model.get_layer(BASE)
    base.trainable = True
    for i, layer in enumerate(base.layers):
        is_bn = layer.__class__.__name__ == "BatchNormalization"
        layer.trainable = i >= len(base.layers) - count and (batchnorm or not is_bn)


def build_classifier(spec, hp, name, scratch_base, imagenet_base):
    """The whole model: resize and channel adaptation, the base, then the head.

    ``scratch_base(shape)`` builds the from-scratch base; ``imagenet_base(shape, weights)``
    the Keras application without its top.
    """
    from dlterm.keras_env import keras, layers

    weights = hp["weights"].strip()
    height, width, channels = spec.input_shape
    if weights == "none":
        size = hp["input_size"] or None
        shape = (size or height, size or width, channels)
        base, preprocess = _named(scratch_base(shape)), None
    elif weights == "imagenet":
        size = max(32, hp["input_size"] or max(height, width))
        base, preprocess = _freeze(_named(_imagenet(imagenet_base, (size, size, 3), name))), _caffe_layer()
    elif weights.startswith("run:"):
        base, preprocess = _from_run(weights[4:], name)
    else:
        from dlterm.errors import DltermError

        raise DltermError(f"unknown weights {weights!r} for {name}", "use none, imagenet or run:RUN_ID")
    want_h, want_w, want_c = base.input_shape[1:]
    inputs = keras.Input(shape=spec.input_shape, name=spec.inputs[0].name)
    x = inputs
    if (height, width) != (want_h, want_w):
        x = layers.Resizing(want_h, want_w, name="resize")(x)
    if channels != want_c:
        if channels == 1 and want_c == 3:
            x = layers.Concatenate(name="gray_to_rgb")([x, x, x])
        else:
            from dlterm.errors import DltermError

            raise DltermError(f"the base takes {want_c}-channel images, the data has {channels}",
                              f"pass --set data.channels={want_c}")
    if preprocess is not None:
        x = preprocess(x)
    if weights == "none":
        x = base(x)
    else:  # a pretrained base keeps BatchNorm in inference mode unless asked to adapt it
        x = base(x, training=False) if not hp["adapt_batchnorm"] else base(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    if hp["dense_units"]:
        x = layers.Dense(hp["dense_units"], activation="relu", name="head")(x)
    x = layers.Dropout(hp["dropout"])(x)
    outputs = layers.Dense(spec.num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name=name)


def _named(base):
    from dlterm.keras_env import keras

    return keras.Model(base.inputs, base.outputs, name=BASE)


def _freeze(base):
    base.trainable = False  # phase 1: only the head learns
    return base


def _imagenet(imagenet_base, shape, name):
    from dlterm.errors import DltermError, cause_of

    try:
        base = imagenet_base(shape, "imagenet")
    except Exception as e:  # noqa: BLE001 - offline downloads fail in many ways
        from dlterm.datasets.images import keras_cache_dir

        raise DltermError(f"cannot get the ImageNet weights for {name}: {cause_of(e)}",
                          f"go online once (Keras caches them in {keras_cache_dir().parent / 'models'}), "
                          "or use --weights run:RUN_ID or --weights none", exit_code=1) from None
    return base


def _caffe_layer():
    """[0, 1] RGB -> what Keras's ImageNet ResNet50/VGG16 expect: BGR, 0-255, mean removed.
    A frozen 1x1 Dense with fixed weights: plain layers, so it saves, loads safely and exports."""
    import numpy as np

    from dlterm.keras_env import layers

    kernel = np.zeros((3, 3), np.float32)
    for rgb, bgr in ((0, 2), (1, 1), (2, 0)):
        kernel[rgb, bgr] = 255.0
    bias = -np.array(CAFFE_MEAN_BGR, np.float32)
    layer = layers.Dense(3, name=IMAGENET_PREPROCESS, trainable=False)
    layer.build((None, 3))
    layer.set_weights([kernel, bias])
    return layer


def _from_run(ref, name):
    """The base (and ImageNet preprocessing, if it had one) of an earlier run, copied."""
    from dlterm.errors import DltermError
    from dlterm.keras_env import keras
    from dlterm.plugin_api import run_model

    earlier = run_model(ref)
    try:
        source = earlier.get_layer(BASE)
    except ValueError:
        raise DltermError(f"run {ref} has no {name} base", f"transfer from an earlier {name} run") from None
    base = keras.models.clone_model(source)
    base.set_weights(source.get_weights())
    preprocess = None
    try:
        earlier_pre = earlier.get_layer(IMAGENET_PREPROCESS)
    except ValueError:
        pass
    else:
        preprocess = _caffe_layer()
        preprocess.set_weights(earlier_pre.get_weights())
    return _freeze(_named(base)), preprocess
