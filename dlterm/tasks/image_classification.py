"""Image classification: images in, one class out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dlterm.tasks.base import PluginSkeleton, SampleInput
from dlterm.tasks.classification import ClassificationTask


@dataclass(frozen=True)
class ImageClassificationTask(ClassificationTask):
    def sample_inputs(self, bundle: Any, prep: dict[str, Any], n: int) -> list[SampleInput]:
        """Test images as PNG files (8-bit: what a camera or a file gives a device)."""
        import io

        import numpy as np
        from PIL import Image

        samples = []
        for i in range(min(n, len(bundle.y_test))):
            pixels = np.clip(np.round(np.asarray(bundle.x_test[i]) * 255), 0, 255).astype(np.uint8)
            png = io.BytesIO()
            Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(png, format="PNG")
            samples.append(SampleInput(f"image-{i:02d}.png", png.getvalue(), prep["class_names"][int(bundle.y_test[i])]))
        return samples


# What `dlterm new-plugin --task image-classification` writes into build().
SKELETON = PluginSkeleton("shapes", "A small dense network for image classification.", '''\
    inputs = keras.Input(shape=spec.input_shape, name=spec.inputs[0].name)
    x = layers.Flatten()(inputs)
    x = layers.Dense(hp["units"], activation="relu")(x)
    x = layers.Dropout(hp["dropout"])(x)
    outputs = layers.Dense(spec.num_classes, activation="softmax")(x)''')


TASK = ImageClassificationTask("image-classification", "images in, one class out", augmentable=True, image_input=True, skeleton=SKELETON)
