"""Image classification: images in, one class out."""

from dlterm.tasks.classification import ClassificationTask

TASK = ClassificationTask("image-classification", "images in, one class out", augmentable=True)
