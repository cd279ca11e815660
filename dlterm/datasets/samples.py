"""Sample inputs for the offline generated datasets: files to give ``dlterm predict``.

A newcomer who trained on the default data has nothing of their own to predict on; these
writers produce a few fresh examples (a different seed from training, so not training
rows) in the form ``dlterm predict`` reads: PNG images, a CSV series, text files for
``@file``. Each dataset names its writer in the registry (``DatasetInfo.sampler``,
"module:function" like its loader).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from dlterm.fileio import write_bytes, write_text

SAMPLE_SEED = 20_261_125  # not a training seed: samples are new examples
SERIES_ROWS = 120  # enough history for any window up to 120 steps


def _texts(folder: Path, stem: str, texts: list[str]) -> list[Path]:
    paths = []
    for i, text in enumerate(texts):
        path = folder / f"{stem}-{i:02d}.txt"
        write_text(path, text)
        paths.append(path)
    return paths


def shapes(folder: Path, count: int) -> list[Path]:
    """One 28x28 PNG per shape in turn, named by the shape it shows (``disc-00.png``)."""
    import io

    from PIL import Image

    from dlterm.datasets.synthetic import SHAPE_NAMES, _draw

    rng = np.random.default_rng(SAMPLE_SEED)
    paths = []
    for i in range(count):
        kind = i % len(SHAPE_NAMES)
        pixels = np.round(_draw(kind, 28, rng) * 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, format="PNG")
        path = folder / f"{SHAPE_NAMES[kind]}-{i:02d}.png"
        write_bytes(path, buffer.getvalue())
        paths.append(path)
    return paths


def seasonal(folder: Path, count: int) -> list[Path]:
    """``series.csv``: the last SERIES_ROWS steps of a fresh series, column ``value`` (count is unused:
    one file serves every window)."""
    from dlterm.datasets.synthetic import seasonal_series

    values = seasonal_series(SERIES_ROWS, SAMPLE_SEED)
    path = folder / "series.csv"
    write_text(path, "value\n" + "".join(f"{v:.3f}\n" for v in values))
    return [path]


def phrases(folder: Path, count: int) -> list[Path]:
    """Review phrases, one a file (``phrase-00.txt``: predict with ``@phrase-00.txt``)."""
    from dlterm.datasets.text import phrase

    rng = np.random.default_rng(SAMPLE_SEED)
    return _texts(folder, "phrase", [phrase(rng)[0] for _ in range(count)])


def dates(folder: Path, count: int) -> list[Path]:
    """Dates as people write them, one a file (``date-00.txt``)."""
    import datetime as dt

    from dlterm.datasets.pairs import human_date

    rng = np.random.default_rng(SAMPLE_SEED)
    first = dt.date(1950, 1, 1).toordinal()
    days = [dt.date.fromordinal(first + int(rng.integers(36_500))) for _ in range(count)]
    return _texts(folder, "date", [human_date(d, rng) for d in days])


def pydoc(folder: Path, count: int) -> list[Path]:
    """Seed texts for generation: the first words of a few help topics' prose (``seed-00.txt``)."""
    from pydoc_data.topics import topics

    names = sorted(topics)
    step = max(1, len(names) // count)
    seeds = []
    for i in range(count):
        body = topics[names[i * step]].strip().split("\n\n", 1)[-1]  # past the underlined title
        seeds.append(" ".join(body.split()[:8]))
    return _texts(folder, "seed", seeds)


def write_samples(info: Any, folder: Path, count: int) -> list[Path]:
    """Write ``count`` sample inputs of dataset ``info`` into ``folder`` (created if missing)."""
    from dlterm.errors import DltermError

    if not info.sampler:
        offline = ", ".join(n for n, d in _registry().items() if d.sampler)
        raise DltermError(f"dataset '{info.name}' has no sample inputs", f"datasets with samples: {offline}")
    if folder.exists() and not folder.is_dir():
        raise DltermError(f"{folder} is not a folder", "give a folder for the samples with -o")
    folder.mkdir(parents=True, exist_ok=True)
    import importlib

    module, _, func = info.sampler.partition(":")
    return getattr(importlib.import_module(module), func)(folder, count)


def _registry() -> dict[str, Any]:
    from dlterm.datasets import DATASETS

    return DATASETS
