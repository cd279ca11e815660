"""The dataset registry: names, the task each serves, and lazily imported loaders.

Listing datasets imports nothing heavy; a loader module is imported only when a run
loads its data.
"""

from __future__ import annotations

from typing import Any

from dlterm.datasets.base import DataBundle, DatasetInfo
from dlterm.datasets.memory import check_dataset_memory
from dlterm.errors import DltermError
from dlterm.settings import Choice, Float, HyperParameter, Int

_SPLITS = (
    Float("val_fraction", 0.15, min=0.01, max=0.5, help="fraction of samples held out for validation"),
    Float("test_fraction", 0.15, min=0.01, max=0.5, help="fraction of samples held out for testing"),
)
_PATH = HyperParameter("path", "str", "", "file or folder to read")
_WINDOW = Int("window", 12, min=1, max=10_000, help="past steps the model sees")
_PERIOD = Int("period", 0, min=0, max=100_000, help="season length for the seasonal-naive baseline (0 = detect)")
_IMAGE_SIZE = Int("image_size", 28, min=8, max=1024, help="images are resized to this square size")
_LIMIT = Int("limit", 0, min=0, max=10_000_000, help="use at most this many training samples (0 = all)")
_MAX_WORDS = Int("max_words", 10_000, min=10, max=1_000_000, help="vocabulary size: the most frequent training words")
_MAX_LENGTH = Int("max_length", 100, min=2, max=10_000, help="tokens per text: longer texts are cut, shorter padded")
_TEXT_SETTINGS = (_MAX_WORDS, _MAX_LENGTH)
_CHAR_WINDOW = Int("window", 40, min=2, max=10_000, help="characters the model sees before predicting the next")
_CHAR_SETTINGS = (_CHAR_WINDOW, Int("stride", 3, min=1, max=1000, help="characters between the starts of two windows"))

DATASETS: dict[str, DatasetInfo] = {d.name: d for d in [
    DatasetInfo("shapes", "Generated shapes", "image-classification",
                "28x28 grayscale discs, squares, triangles and crosses at random sizes and places, with noise. "
                "Offline default for image classification.", "generated", "dlterm.datasets.synthetic:load_shapes",
                (Int("samples", 3000, min=60, max=1_000_000, help="number of images"), _IMAGE_SIZE) + _SPLITS, sampler="dlterm.datasets.samples:shapes"),
    DatasetInfo("seasonal", "Generated seasonal series", "sequence-forecasting",
                "A monthly-like series with trend, a 12-step cycle and noise. Offline default for forecasting.",
                "generated", "dlterm.datasets.synthetic:load_seasonal",
                (Int("length", 600, min=50, max=10_000_000, help="number of time steps"), _WINDOW, _PERIOD) + _SPLITS,
                sampler="dlterm.datasets.samples:seasonal"),
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
                (_PATH, HyperParameter("column", "str", "", "column(s) to use, comma-separated; the first is forecast"), _WINDOW, _PERIOD) + _SPLITS,
                needs_path=True),
    DatasetInfo("phrases", "Generated review phrases", "text-classification",
                "Short movie-review phrases, positive or negative, with negation ('not good') and contrast "
                "('... but the ending was awful'). Offline default for text classification.",
                "generated", "dlterm.datasets.text:load_phrases",
                (Int("samples", 3000, min=60, max=1_000_000, help="number of phrases"), _MAX_WORDS,
                 Int("max_length", 20, min=2, max=10_000, help="tokens per phrase")) + _SPLITS, sampler="dlterm.datasets.samples:phrases"),
    DatasetInfo("imdb", "IMDB movie reviews", "text-classification",
                "50k movie reviews labelled positive/negative, via the Keras loader and word index (cached in "
                "~/.keras/datasets or $KERAS_HOME; downloads when online).",
                "keras", "dlterm.datasets.text:load_imdb", _TEXT_SETTINGS + (_LIMIT, _SPLITS[0])),
    DatasetInfo("text", "Labelled text file", "text-classification",
                "Your CSV (header row; text and label columns found by name or set with data.text_column / "
                "data.label_column) or tab-separated text<TAB>label lines.",
                "file", "dlterm.datasets.text:load_text_file",
                (_PATH, HyperParameter("text_column", "str", "", "column holding the text (default: found by name)"),
                 HyperParameter("label_column", "str", "", "column holding the label (default: found by name)"))
                + _TEXT_SETTINGS + _SPLITS, needs_path=True),
    DatasetInfo("dates", "Generated dates", "sequence-to-sequence",
                "Dates as people write them ('tuesday, march 3, 2021', '3rd of mar 2021') -> ISO 2021-03-03, "
                "character by character. Offline default for sequence-to-sequence.",
                "generated", "dlterm.datasets.pairs:load_dates",
                (Int("samples", 5000, min=60, max=1_000_000, help="number of pairs"),) + _SPLITS, sampler="dlterm.datasets.samples:dates"),
    DatasetInfo("pairs", "Source/target pairs", "sequence-to-sequence",
                "Your tab-separated file: source<TAB>target a line (the Keras translation example's fra.txt format).",
                "file", "dlterm.datasets.pairs:load_pairs_file",
                (_PATH, Int("limit", 10_000, min=0, max=10_000_000, help="use the first N pairs (0 = all)"),
                 Int("max_length", 60, min=2, max=10_000, help="skip pairs with a longer source or target (characters)"))
                + _SPLITS, needs_path=True),
    DatasetInfo("pydoc", "Python's reference text", "text-generation",
                "The help pages that ship with Python (pydoc_data.topics): 465k characters of English and code, "
                "always installed. Offline default for text generation.",
                "generated", "dlterm.datasets.corpus:load_pydoc",
                (Int("length", 120_000, min=0, max=100_000_000, help="use the first N characters (0 = all)"),)
                + _CHAR_SETTINGS + _SPLITS, sampler="dlterm.datasets.samples:pydoc"),
    DatasetInfo("corpus", "Text file", "text-generation",
                "Your UTF-8 text file (e.g. tiny Shakespeare): learn to continue it character by character.",
                "file", "dlterm.datasets.corpus:load_corpus_file",
                (_PATH, Int("length", 0, min=0, max=100_000_000, help="use the first N characters (0 = all)"))
                + _CHAR_SETTINGS + _SPLITS, needs_path=True),
]}


def get_dataset(name: str) -> DatasetInfo:
    if name not in DATASETS:
        raise DltermError(f"unknown dataset '{name}'", f"available: {', '.join(DATASETS)}; see `dlterm datasets`")
    return DATASETS[name]


def load(name: str, settings: dict[str, Any], seed: int) -> DataBundle:
    info = get_dataset(name)
    return info.load_function()(info.resolve_settings(settings), seed)


__all__ = ["DATASETS", "DataBundle", "DatasetInfo", "check_dataset_memory", "get_dataset", "load"]
