"""How much memory a dataset's arrays will take, known from its settings before loading.

Allowed settings can still be impossible together (``data.samples=1000000`` with
``data.image_size=1024`` is 4 TB of pixels): training checks the estimate against the
available memory first and refuses with a hint instead of swapping the machine to death.
Datasets read from a file are checked by their loaders once the row or file count is
known (:func:`check_arrays`).
"""

from __future__ import annotations

from typing import Any, Callable

from dlterm.limits import check_memory

# Peak memory over the final arrays: the samples are built, stacked, split into copies,
# then handed to TensorFlow (one more copy).
PEAK = 3
FLOAT = 4  # float32 and int32 bytes

_KERAS_IMAGES = {"mnist": (60_000, 28 * 28), "fashion_mnist": (60_000, 28 * 28), "cifar10": (50_000, 32 * 32 * 3)}


def _keras_images(name: str) -> Callable[[dict[str, Any]], int]:
    def estimate(s: dict[str, Any]) -> int:
        full, pixels = _KERAS_IMAGES[name]
        n = min(s["limit"] or full, full)
        return n * pixels * FLOAT * 5 // 4  # the train part and a quarter as many test images

    return estimate


def _pydoc(s: dict[str, Any]) -> int:
    chars = min(s["length"] or 500_000, 500_000)  # Python's help text is about 465k characters
    return chars // s["stride"] * (s["window"] + 1) * FLOAT


# Bytes of the final arrays (all splits) per dataset, from its resolved settings.
ESTIMATES: dict[str, Callable[[dict[str, Any]], int]] = {
    "shapes": lambda s: s["samples"] * s["image_size"] ** 2 * FLOAT,
    # windows are built in float64 (raw, relative) before the float32 model input
    "seasonal": lambda s: s["length"] * s["window"] * (8 + 8 + FLOAT),
    "phrases": lambda s: s["samples"] * (s["max_length"] * FLOAT + 200),
    "imdb": lambda s: min(s["limit"] or 25_000, 25_000) * 5 // 4 * s["max_length"] * FLOAT,
    "dates": lambda s: s["samples"] * (3 * 48 * FLOAT + 300),
    "pydoc": _pydoc,
    **{name: _keras_images(name) for name in _KERAS_IMAGES},
}

HINTS = {
    "shapes": "lower data.samples or data.image_size",
    "seasonal": "lower data.length or data.window",
    "phrases": "lower data.samples or data.max_length",
    "imdb": "set data.limit or lower data.max_length",
    "dates": "lower data.samples",
    "pydoc": "lower data.length or data.window, or raise data.stride",
    "mnist": "set data.limit", "fashion_mnist": "set data.limit", "cifar10": "set data.limit",
}


def estimate_bytes(dataset: str, settings: dict[str, Any]) -> int | None:
    """Estimated peak bytes of loading ``dataset``; None for datasets read from files."""
    estimate = ESTIMATES.get(dataset)
    return None if estimate is None else estimate(settings) * PEAK


def check_dataset_memory(dataset: str, settings: dict[str, Any]) -> None:
    """Refuse settings whose data cannot fit in the available memory (before loading it)."""
    needed = estimate_bytes(dataset, settings)
    if needed is not None:
        check_memory(needed, f"dataset '{dataset}' with these settings", HINTS[dataset])


def check_arrays(name: str, samples: int, values_per_sample: int, hint: str, bytes_per_value: int = FLOAT) -> None:
    """For file datasets, once the count is known: refuse arrays that cannot fit."""
    check_memory(samples * values_per_sample * bytes_per_value * PEAK, f"the data '{name}' ({samples:,} samples)", hint)
