"""The dataset registry: names, the task each serves, and lazily imported loaders.

Listing datasets imports nothing heavy; a loader module is imported only when a run
loads its data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dlterm.datasets.base import DataBundle, DatasetInfo
from dlterm.errors import DltermError
from dlterm.plugin_api import Choice, Float, Int, HyperParameter

_SPLITS = (
    Float("val_fraction", 0.15, min=0.01, max=0.5, help="fraction of samples held out for validation"),
    Float("test_fraction", 0.15, min=0.01, max=0.5, help="fraction of samples held out for testing"),
)
_PATH = HyperParameter("path", "str", "", "file or folder to read")
_WINDOW = Int("window", 12, min=1, max=10_000, help="past steps the model sees")
_IMAGE_SIZE = Int("image_size", 28, min=8, max=1024, help="images are resized to this square size")
_LIMIT = Int("limit", 0, min=0, max=10_000_000, help="use at most this many training samples (0 = all)")

DATASETS: dict[str, DatasetInfo] = {d.name: d for d in [
    DatasetInfo("shapes", "Generated shapes", "image-classification",
                "28x28 grayscale discs, squares, triangles and crosses at random sizes and places, with noise. "
                "Offline default for image classification.", "generated", "dlterm.datasets.synthetic:load_shapes",
                (Int("samples", 3000, min=60, max=1_000_000, help="number of images"), _IMAGE_SIZE) + _SPLITS),
    DatasetInfo("seasonal", "Generated seasonal series", "sequence-forecasting",
                "A monthly-like series with trend, a 12-step cycle and noise. Offline default for forecasting.",
                "generated", "dlterm.datasets.synthetic:load_seasonal",
                (Int("length", 600, min=50, max=10_000_000, help="number of time steps"), _WINDOW) + _SPLITS),
    DatasetInfo("mnist", "MNIST digits", "image-classification",
                "70k 28x28 handwritten digits, via the Keras loader (cached in ~/.keras/datasets or $KERAS_HOME; downloads when online).",
                "keras", "dlterm.datasets.images:load_mnist", (_LIMIT, _SPLITS[0])),
    DatasetInfo("fashion_mnist", "Fashion-MNIST", "image-classification",
                "70k 28x28 clothing images in 10 classes, via the Keras loader (downloads when online).",
                "keras", "dlterm.datasets.images:load_fashion_mnist", (_LIMIT, _SPLITS[0])),
    DatasetInfo("cifar10", "CIFAR-10", "image-classification",
                "60k 32x32 colour images in 10 classes, via the Keras loader (downloads when online).",
                "keras", "dlterm.datasets.images:load_cifar10", (_LIMIT, _SPLITS[0])),
    DatasetInfo("images", "Image folder", "image-classification",
                "Your images: one subfolder per class (or train/ and val/ holding them). Any mode; resized.",
                "file", "dlterm.datasets.images:load_image_folder",
                (_PATH, _IMAGE_SIZE, Choice("channels", "auto", ("auto", "1", "3"), help="1 = grayscale, 3 = RGB")) + _SPLITS,
                needs_path=True),
    DatasetInfo("csv", "CSV time series", "sequence-forecasting",
                "Your CSV with a header row: forecast the next value of a column from a window of past rows.",
                "file", "dlterm.datasets.series:load_csv",
                (_PATH, HyperParameter("column", "str", "", "column(s) to use, comma-separated; the first is forecast"), _WINDOW) + _SPLITS,
                needs_path=True),
]}


def get_dataset(name: str) -> DatasetInfo:
    if name not in DATASETS:
        raise DltermError(f"unknown dataset '{name}'", f"available: {', '.join(DATASETS)}; see `dlterm datasets`")
    return DATASETS[name]


def dataset_for_path(path: str) -> str:
    """Guess the dataset kind from a --data path: a folder of images or a CSV file."""
    p = Path(path).expanduser()
    if p.is_dir():
        return "images"
    if p.suffix.lower() == ".csv":
        return "csv"
    if not p.exists():
        raise DltermError(f"--data path not found: {p}", "check the path")
    raise DltermError(f"cannot tell what kind of data {p} is", "name it with --dataset (see `dlterm datasets`)")


def load(name: str, settings: dict[str, Any], seed: int) -> DataBundle:
    info = get_dataset(name)
    return info.load_function()(info.resolve_settings(settings), seed)


__all__ = ["DATASETS", "DataBundle", "DatasetInfo", "dataset_for_path", "get_dataset", "load"]
