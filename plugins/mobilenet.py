"""MobileNetV2 transfer learning: a pretrained base, a new head, then fine-tuning."""

from dlterm.plugin_api import Bool, Choice, Float, HyperParameter, Int, Phase

NAME = "mobilenet"
TITLE = "MobileNetV2 transfer learning"
DESCRIPTION = """
MobileNetV2 (Sandler et al. 2018: depthwise-separable convolutions in inverted
residual blocks) without its classifier, then global average pooling, a dense layer,
dropout and a new softmax. Two phases in one run: (1) the pretrained base is frozen and
only the head trains; (2) the last `fine_tune_layers` layers of the base are unfrozen and
trained with a much lower learning rate. `weights`: imagenet (the Keras loader and
cache), a weights file, `run:RUN_ID` (the base of an earlier dlterm mobilenet run: pretrain
on a large dataset of your domain, transfer to a small one) or none (train everything
from scratch in one phase). A base from very different images (digits -> photos) transfers
better with `adapt_batchnorm` and more layers unfrozen. Images of any size or channel
count are resized inside the model and scaled to [-1, 1] as MobileNetV2 expects.
"""
TASK = "image-classification"
DEFAULT_DATASET = "shapes"
HYPERPARAMETERS = [
    HyperParameter("weights", "str", "none", "imagenet, none, a .h5 weights file, or run:RUN_ID (an earlier mobilenet run)"),
    Int("input_size", 96, min=32, max=512, help="images are resized to this square size inside the model"),
    Choice("alpha", "0.35", ("0.35", "0.5", "0.75", "1.0", "1.3", "1.4"), help="width multiplier of the base"),
    Int("dense_units", 128, min=0, max=4096, help="hidden dense layer of the head (0 = none)"),
    Float("dropout", 0.2, min=0.0, max=0.9, help="dropout before the classifier"),
    Int("fine_tune_epochs", 3, min=0, max=10_000, help="epochs of phase 2 (0 = no fine-tuning)"),
    Int("fine_tune_layers", 30, min=1, max=1000, help="phase 2 unfreezes this many of the base's last layers"),
    Float("fine_tune_lr", 1e-5, min=1e-9, max=1.0, help="learning rate of phase 2 (the seed uses 1e-5)"),
    Bool("adapt_batchnorm", False, help="phase 2 also trains BatchNorm (statistics and scales): for a base "
                                        "pretrained on very different images"),
]
TRAINING_DEFAULTS = {"epochs": 5, "batch_size": 32}
BASE = "mobilenetv2_base"


def phases(hp, training):
    if hp["weights"] == "none":  # nothing pretrained to protect: one phase, everything trains
        return [Phase("train", training["epochs"])]
    return [Phase("head", training["epochs"]),
            Phase("fine-tune", hp["fine_tune_epochs"], learning_rate=hp["fine_tune_lr"],
                  prepare=lambda model: unfreeze_top(model, hp["fine_tune_layers"], hp["adapt_batchnorm"]))]


def unfreeze_top(model, count, batchnorm=False):
    """Make the base trainable from its last ``count`` layers on. BatchNorm layers stay
    frozen unless ``batchnorm``: their statistics come from the pretraining data, right for
    similar images (ImageNet -> photos), wrong for very different ones (digits -> photos)."""
    base = model.get_layer(BASE)
    base.trainable = True
    for i, layer in enumerate(base.layers):
        is_bn = layer.__class__.__name__ == "BatchNormalization"
        layer.trainable = i >= len(base.layers) - count and (batchnorm or not is_bn)


def build(spec, hp):
    from dlterm.keras_env import keras, layers

    size = hp["input_size"]
    inputs = keras.Input(shape=spec.input_shape, name=spec.inputs[0].name)
    x = inputs
    if tuple(spec.input_shape[:2]) != (size, size):
        x = layers.Resizing(size, size, name="resize")(x)
    if spec.input_shape[-1] == 1:  # grayscale -> the three channels the base expects
        x = layers.Concatenate(name="gray_to_rgb")([x, x, x])
    x = layers.Rescaling(2.0, offset=-1.0, name="to_minus1_1")(x)  # [0, 1] -> [-1, 1]
    base = _base(hp, size)
    # A pretrained base keeps BatchNorm in inference mode, also once unfrozen (Keras's
    # fine-tuning guide); a base trained from scratch needs its batch statistics.
    x = base(x, training=False) if hp["weights"] != "none" and not hp["adapt_batchnorm"] else base(x)
    x = layers.GlobalAveragePooling2D()(x)
    if hp["dense_units"]:
        x = layers.Dense(hp["dense_units"], activation="relu")(x)
    x = layers.Dropout(hp["dropout"])(x)
    outputs = layers.Dense(spec.num_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="mobilenet")


def _base(hp, size):
    from dlterm.errors import DltermError
    from dlterm.keras_env import keras

    weights = hp["weights"].strip()
    alpha = float(hp["alpha"])

    def make(w):
        base = keras.applications.MobileNetV2(input_shape=(size, size, 3), alpha=alpha, include_top=False, weights=w)
        for layer in base.layers:
            # Keras's 0.999 makes the moving statistics (used for validation and inference)
            # lag hundreds of steps behind a base trained from scratch on a small dataset.
            if layer.__class__.__name__ == "BatchNormalization":
                layer.momentum = 0.9
        return keras.Model(base.inputs, base.outputs, name=BASE)

    if weights == "none":
        return make(None)
    if weights.startswith("run:"):
        from dlterm.plugin_api import run_model

        earlier = run_model(weights[4:])
        try:
            source = earlier.get_layer(BASE)
        except ValueError:
            raise DltermError(f"run {weights[4:]} has no MobileNetV2 base", "transfer from an earlier mobilenet run") from None
        base = make(None)
        try:
            base.set_weights(source.get_weights())
        except ValueError:
            raise DltermError(f"the base of run {weights[4:]} does not fit (different alpha?)",
                              "use the same alpha as that run") from None
    elif weights == "imagenet":
        try:
            base = make("imagenet")
        except Exception as e:  # noqa: BLE001 - offline downloads fail in many ways
            from dlterm.datasets.images import keras_cache_dir

            raise DltermError(f"cannot get the ImageNet weights for MobileNetV2 (alpha {hp['alpha']}): {type(e).__name__}",
                              f"go online once (Keras caches them in {keras_cache_dir().parent / 'models'}), put the "
                              "no-top .h5 file there, pass --weights FILE.h5, or --weights none", exit_code=1) from None
    else:
        from pathlib import Path

        from dlterm.limits import MAX_WEIGHTS_BYTES, check_keras_archive, regular_file

        hint = "use imagenet, none, run:RUN_ID or a .h5 file path"
        if Path(weights).suffix.lower() == ".keras":  # a zip: its expanded size is checked before loading
            check_keras_archive(Path(weights).expanduser(), "weights file")
        else:  # no FIFO, device or runaway file
            regular_file(Path(weights).expanduser(), "weights file", hint, limit=MAX_WEIGHTS_BYTES)
        try:
            base = make(str(Path(weights).expanduser()))
        except Exception as e:  # noqa: BLE001
            raise DltermError(f"cannot load the weights {weights}: {type(e).__name__}: {str(e)[:120]}",
                              "give no-top MobileNetV2 weights of the same alpha") from None
    base.trainable = False  # phase 1: only the head learns
    return base
