"""Image datasets: a user's image folder, and the Keras image datasets.

Image folder layout: one subfolder per class (``cats/``, ``dogs/``...), or ``train/`` and
``val/`` (and optionally ``test/``) folders each holding the class subfolders. Images of
any mode (grayscale, RGB, RGBA, palette) are converted to the dataset's channel count and
resized to ``image_size``; pixels become float32 in [0, 1].
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from dlterm.datasets.base import DataBundle, classification_spec, image_preprocessing, split_indices
from dlterm.datasets.memory import check_arrays
from dlterm.errors import DltermError
from dlterm.limits import ImageRefused
from dlterm_edge.limits import opened_image
from dlterm_edge.preprocess import load_image

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


def _class_files(folder: Path) -> dict[str, list[Path]]:
    classes = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(f for f in sub.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
        if files:
            classes[sub.name] = files
    return classes


def _detect_channels(files: list[Path]) -> int:
    for f in files[:50]:
        try:
            with opened_image(f) as img:  # checked (a regular file, bytes and pixels) before anything decodes
                if img.mode not in ("1", "L", "I", "I;16", "F", "LA"):
                    return 3
        except (OSError, ValueError, SyntaxError):
            continue
    return 1


def _load_split(classes: dict[str, list[Path]], class_names: list[str], size: int, channels: int, skipped: list[str],
                files: list[Path] | None = None):
    """Pixels and labels of the readable images; ``files`` (if given) gets their paths, row by row."""
    xs, ys = [], []
    for label, name in enumerate(class_names):
        for f in classes.get(name, []):
            try:
                xs.append(load_image(f, size, size, channels))  # checked (bytes, pixels) before decoding
                ys.append(label)
                if files is not None:
                    files.append(f)
            except ImageRefused as e:  # too many pixels, too large, a FIFO...: skipped, with why
                skipped.append(f"{f.name} ({str(e).removeprefix(f'image {f} ')})")
            except (OSError, ValueError, SyntaxError) as e:
                skipped.append(f"{f.name} ({type(e).__name__})")
    if not xs:
        return np.zeros((0, size, size, channels), np.float32), np.zeros((0,), np.int32)
    return np.stack(xs), np.array(ys, dtype=np.int32)


def load_image_folder(settings: dict[str, Any], seed: int) -> DataBundle:
    root = Path(settings["path"]).expanduser()
    if not root.exists():
        raise DltermError(f"image folder not found: {root}", "check --data")
    if not root.is_dir():
        raise DltermError(f"{root} is a file, not an image folder", "give a folder with one subfolder per class")
    size = settings["image_size"]
    splits = {s: root / s for s in ("train", "val", "test") if (root / s).is_dir()}
    presplit = "train" in splits and len(splits) > 1
    per_split = {s: _class_files(p) for s, p in splits.items()} if presplit else {"all": _class_files(root)}
    class_names = sorted(set().union(*[set(c) for c in per_split.values()]))
    if not class_names:
        raise DltermError(f"no images found in {root}", "put images (PNG/JPEG) in one subfolder per class")
    if len(class_names) < 2:
        raise DltermError(f"{root} has only one class ({class_names[0]})", "classification needs at least two class subfolders")
    all_files = [f for c in per_split.values() for fs in c.values() for f in fs]
    channels = {"auto": None, "1": 1, "3": 3}[settings["channels"]] or _detect_channels(all_files)
    check_arrays(root.name, len(all_files), size * size * channels, "lower data.image_size or use fewer images")
    skipped: list[str] = []
    rng = np.random.default_rng(seed)
    row_files: list[Path] = []  # the images behind each row, for evaluation's worst examples
    if presplit:
        x_tr, y_tr = _load_split(per_split["train"], class_names, size, channels, skipped)
        held = per_split.get("val") or per_split.get("test")
        x_held, y_held = _load_split(held, class_names, size, channels, skipped, row_files)
        if "val" in per_split and "test" in per_split:
            x_va, y_va = x_held, y_held
            row_files = []
            x_te, y_te = _load_split(per_split["test"], class_names, size, channels, skipped, row_files)
            test_files = row_files
        else:  # one held-out folder: half validation, half test
            order = rng.permutation(len(y_held))
            half = len(order) // 2
            x_va, y_va, x_te, y_te = x_held[order[:half]], y_held[order[:half]], x_held[order[half:]], y_held[order[half:]]
            test_files = [row_files[i] for i in order[half:]]
        if min(len(y_tr), len(y_va), len(y_te)) == 0:
            raise DltermError(f"{root}: a split has no readable images", "each of train/ and val/ needs images of every class")
    else:
        x, y = _load_split(per_split["all"], class_names, size, channels, skipped, row_files)
        if len(y) < 6:
            raise DltermError(f"{root} has only {len(y)} readable images", "add more images (a few per class at least)")
        tr, va, te = split_indices(len(y), settings["val_fraction"], settings["test_fraction"], rng)
        x_tr, y_tr, x_va, y_va, x_te, y_te = x[tr], y[tr], x[va], y[va], x[te], y[te]
        test_files = [row_files[i] for i in te]
    bundle = DataBundle(root.name, classification_spec("image-classification", x_tr, class_names),
                        x_tr, y_tr, x_va, y_va, x_te, y_te,
                        image_preprocessing(size, size, channels, class_names))
    bundle.extra["test_files"] = [str(f.relative_to(root)) if f.is_relative_to(root) else f.name for f in test_files]
    if skipped:
        shown = ", ".join(skipped[:5]) + (f" and {len(skipped) - 5} more" if len(skipped) > 5 else "")
        bundle.notes.append(f"skipped {len(skipped)} unreadable file(s): {shown}")
    return bundle


# -- Keras image datasets ----------------------------------------------------------------

KERAS_IMAGE_DATASETS = {
    "mnist": [str(i) for i in range(10)],
    "fashion_mnist": ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"],
    "cifar10": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
}


def keras_cache_dir() -> Path:
    """Where Keras keeps downloaded datasets: ``$KERAS_HOME/datasets`` or ``~/.keras/datasets``."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


def _keras_load(name: str):
    """Load through Keras's own loader (downloads when online, reads its cache otherwise).

    A cached ``mnist.npz`` is read directly (``allow_pickle=False``): Keras would insist on
    the published file hash and try to download again for a locally built, equivalent file.
    """
    cached = keras_cache_dir() / "mnist.npz"
    if name == "mnist" and cached.is_file():
        with np.load(cached, allow_pickle=False) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    from dlterm.keras_env import keras

    try:
        return getattr(keras.datasets, name).load_data()
    except Exception as e:  # noqa: BLE001 - network errors come in many types
        raise keras_load_error(name, e, "train on --dataset shapes / --data FOLDER") from None


def keras_load_error(name: str, error: Exception, instead: str) -> DltermError:
    """The one-line error for a Keras dataset that could not be downloaded or read."""
    first = str(error).splitlines()[0][:160] if str(error) else ""
    return DltermError(f"could not load the Keras dataset '{name}': {type(error).__name__}: {first}",
                       f"go online once so Keras can cache it in {keras_cache_dir()}, or {instead}", exit_code=1)


def keras_splits(train: tuple[Any, Any], test: tuple[Any, Any], settings: dict[str, Any],
                 rng: np.random.Generator | None = None) -> tuple[tuple[Any, Any], tuple[Any, Any], tuple[Any, Any]]:
    """A Keras dataset's official (train, test) -> train, validation, test.

    ``limit`` keeps that many training samples and a quarter as many test ones. Validation
    is the last ``val_fraction`` of the training part (shuffled first when ``rng`` is
    given); the official test set stays the test split, untouched.
    """
    (x_train, y_train), (x_test, y_test) = train, test
    if settings["limit"]:
        x_train, y_train = x_train[: settings["limit"]], y_train[: settings["limit"]]
        x_test, y_test = x_test[: max(1, settings["limit"] // 4)], y_test[: max(1, settings["limit"] // 4)]
    if rng is not None:
        order = rng.permutation(len(y_train))
        x_train, y_train = x_train[order], y_train[order]
    n_val = max(1, int(round(len(y_train) * settings["val_fraction"])))
    return (x_train[:-n_val], y_train[:-n_val]), (x_train[-n_val:], y_train[-n_val:]), (x_test, y_test)


def load_keras_images(name: str, settings: dict[str, Any], seed: int) -> DataBundle:
    official_train, official_test = _keras_load(name)

    def pixels(x: np.ndarray) -> np.ndarray:
        x = x.astype(np.float32) / 255.0
        return x[..., None] if x.ndim == 3 else x

    def labels(y: np.ndarray) -> np.ndarray:
        return y.reshape(-1).astype(np.int32)

    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = [(pixels(x), labels(y)) for x, y in
                                                keras_splits(official_train, official_test, settings)]
    class_names = KERAS_IMAGE_DATASETS[name]
    h, w, c = x_tr.shape[1:]
    return DataBundle(name, classification_spec("image-classification", x_tr, class_names),
                      x_tr, y_tr, x_va, y_va, x_te, y_te, image_preprocessing(h, w, c, class_names))


def load_mnist(settings: dict[str, Any], seed: int) -> DataBundle:
    return load_keras_images("mnist", settings, seed)


def load_fashion_mnist(settings: dict[str, Any], seed: int) -> DataBundle:
    return load_keras_images("fashion_mnist", settings, seed)


def load_cifar10(settings: dict[str, Any], seed: int) -> DataBundle:
    return load_keras_images("cifar10", settings, seed)
