"""Sample inputs for the offline generated datasets: files to give ``dlterm predict``.

A newcomer who trained on the default data has nothing of their own to predict on; these
samplers make a few fresh examples (a different seed from training, so not training
rows) in the form ``dlterm predict`` reads: PNG images, a CSV series, text files for
``@file``. Each dataset names its sampler in the registry (``DatasetInfo.sampler``,
"module:function" like its loader); a sampler returns file names and contents, and
:func:`write_samples` writes them, never over a file that is already there.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from dlterm.errors import DltermError
from dlterm.fileio import write_bytes

SAMPLE_SEED = 20_261_125  # not a training seed: samples are new examples
SERIES_ROWS = 120  # enough history for any window up to 120 steps

Files = list[tuple[str, bytes]]


def _texts(stem: str, texts: list[str]) -> Files:
    return [(f"{stem}-{i:02d}.txt", text.encode("utf-8")) for i, text in enumerate(texts)]


def shapes(count: int) -> Files:
    """28x28 PNGs of each shape in turn, named by the shape they show (``disc-00.png``)."""
    import io

    from PIL import Image

    from dlterm.datasets.synthetic import SHAPE_NAMES, _draw

    rng = np.random.default_rng(SAMPLE_SEED)
    files = []
    for i in range(count):
        kind = i % len(SHAPE_NAMES)
        buffer = io.BytesIO()
        Image.fromarray(np.round(_draw(kind, 28, rng) * 255).astype(np.uint8)).save(buffer, format="PNG")
        files.append((f"{SHAPE_NAMES[kind]}-{i:02d}.png", buffer.getvalue()))
    return files


def seasonal(count: int) -> Files:
    """``series.csv``: SERIES_ROWS steps of a fresh series, column ``value`` (one file serves
    every window, so ``count`` is unused)."""
    from dlterm.datasets.synthetic import seasonal_series

    values = seasonal_series(SERIES_ROWS, SAMPLE_SEED)
    return [("series.csv", ("value\n" + "".join(f"{v:.3f}\n" for v in values)).encode())]


def phrases(count: int) -> Files:
    """Review phrases, one a file (``phrase-00.txt``: predict with ``@phrase-00.txt``)."""
    from dlterm.datasets.text import phrase

    rng = np.random.default_rng(SAMPLE_SEED)
    return _texts("phrase", [phrase(rng)[0] for _ in range(count)])


def dates(count: int) -> Files:
    """Dates as people write them, one a file (``date-00.txt``)."""
    import datetime as dt

    from dlterm.datasets.pairs import human_date

    rng = np.random.default_rng(SAMPLE_SEED)
    first = dt.date(1950, 1, 1).toordinal()
    days = [dt.date.fromordinal(first + int(rng.integers(36_500))) for _ in range(count)]
    return _texts("date", [human_date(d, rng) for d in days])


def pydoc(count: int) -> Files:
    """Seed texts for generation: the first words of a few help topics' prose (``seed-00.txt``)."""
    from pydoc_data.topics import topics

    names = sorted(topics)
    step = max(1, len(names) // count)
    seeds = []
    for i in range(count):
        body = topics[names[i * step]].strip().split("\n\n", 1)[-1]  # past the underlined title
        seeds.append(" ".join(body.split()[:8]))
    return _texts("seed", seeds)


def write_samples(info: Any, folder: Path, count: int, force: bool = False) -> list[Path]:
    """Write ``count`` sample inputs of dataset ``info`` into ``folder`` (created if missing);
    refuses before writing anything if a file would be replaced, unless ``force``."""
    import importlib

    if not info.sampler:
        from dlterm.datasets import DATASETS

        offline = ", ".join(n for n, d in DATASETS.items() if d.sampler)
        raise DltermError(f"dataset '{info.name}' has no sample inputs", f"datasets with samples: {offline}")
    if folder.exists() and not folder.is_dir():
        raise DltermError(f"{folder} is not a folder", "give a folder for the samples with -o")
    module, _, func = info.sampler.partition(":")
    files = getattr(importlib.import_module(module), func)(count)
    existing = [name for name, _ in files if os.path.lexists(folder / name)]
    if existing and not force:
        raise DltermError(f"{folder / existing[0]} already exists", "choose another folder with -o, or add --force")
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files:
        write_bytes(folder / name, data)
    return [folder / name for name, _ in files]
