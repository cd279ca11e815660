"""Sequence-to-sequence data: character-level source -> target pairs.

* ``dates`` (generated): dates written the ways people write them ("tuesday, march 3,
  2021", "3rd of mar 2021", "2021 march 03") -> ISO ``2021-03-03``. The model must read
  month names, reorder fields and pad days: genuinely sequence to sequence, not a copy.
* ``pairs`` (your file): tab-separated ``source<TAB>target`` lines, the format of the
  Keras translation example (``fra.txt``); extra columns are ignored.

Arrays for training with teacher forcing: ``source`` ids (front-padded), ``decoder_input``
(START + target, padded at the end) and the targets (target + END). Vocabularies are
character lists saved in ``preprocessing.json``: source ids 0 = pad, 1 = unknown; target
ids 0 = pad, 1 = START, 2 = END.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from dlterm.datasets.base import DataBundle, split_indices
from dlterm.datasets.memory import check_arrays
from dlterm.datasets.text import SPECIALS, read_text_file
from dlterm.errors import DltermError
from dlterm.plugin_api import DataSpec, TensorSpec
from dlterm_edge.preprocess import END, PAD, START, encode_text, vocabulary_index

TARGET_SPECIALS = ["<pad>", "<s>", "</s>"]


def pairs_bundle(name: str, pairs: list[tuple[str, str]], settings: dict[str, Any], seed: int,
                 notes: list[str] | None = None) -> DataBundle:
    if len(pairs) < 10:
        raise DltermError(f"'{name}' has only {len(pairs)} usable pairs", "give at least a few dozen source<TAB>target lines")
    tr, va, te = split_indices(len(pairs), settings["val_fraction"], settings["test_fraction"], np.random.default_rng(seed))
    source_chars = sorted({c for i in tr for c in pairs[i][0]})
    target_chars = sorted({c for i in tr for c in pairs[i][1]})
    source_length = max(len(s) for s, _ in pairs)
    target_length = max(len(t) for _, t in pairs) + 1  # + END
    check_arrays(name, len(pairs), source_length + 2 * target_length, "lower data.max_length or data.limit")
    prep = {"kind": "pairs", "tokens": "chars", "source_vocabulary": SPECIALS + source_chars,
            "target_vocabulary": TARGET_SPECIALS + target_chars, "source_length": source_length,
            "target_length": target_length, "start_token": START, "end_token": END, "pad_token": PAD}
    source = encode_text([s for s, _ in pairs], {"vocabulary": prep["source_vocabulary"], "tokens": "chars",
                                                 "max_length": source_length})
    index = vocabulary_index(prep["target_vocabulary"])
    target = np.full((len(pairs), target_length), PAD, dtype=np.int32)
    for row, (_, t) in enumerate(pairs):
        ids = [index.get(c, PAD) for c in t] + [END]  # a character unseen in training cannot be produced
        target[row, :len(ids)] = ids
    decoder_input = np.concatenate([np.full((len(pairs), 1), START, np.int32), target[:, :-1]], axis=1)
    decoder_input[decoder_input == END] = PAD  # the decoder never reads END as an input

    def x(idx: np.ndarray) -> dict[str, np.ndarray]:
        return {"source": source[idx], "decoder_input": decoder_input[idx]}

    spec = DataSpec("sequence-to-sequence",
                    (TensorSpec("source", (source_length,), "int32"), TensorSpec("decoder_input", (target_length,), "int32")),
                    (target_length, len(prep["target_vocabulary"])),
                    extra={"source_vocabulary_size": len(prep["source_vocabulary"]),
                           "target_vocabulary_size": len(prep["target_vocabulary"])})
    bundle = DataBundle(name, spec, x(tr), target[tr], x(va), target[va], x(te), target[te], prep, notes=list(notes or []))
    bundle.extra["test_pairs"] = [pairs[i] for i in te]
    return bundle


# -- generated dates -------------------------------------------------------------------

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def human_date(day: dt.date, rng: np.random.Generator) -> str:
    """One of several ways people write a date (month names full or short, day orders...)."""
    month = MONTHS[day.month - 1]
    mon = month if rng.random() < 0.5 else month[:3]
    d = str(day.day) if rng.random() < 0.7 else f"{day.day:02d}"
    forms = [f"{mon} {d}, {day.year}", f"{d} {mon} {day.year}", f"{mon} {d} {day.year}",
             f"{_ordinal(day.day)} of {mon} {day.year}", f"{day.year} {mon} {d}",
             f"{WEEKDAYS[day.weekday()]}, {mon} {d}, {day.year}", f"{d}.{day.month:02d}.{day.year}"]
    return forms[int(rng.integers(len(forms)))]


def load_dates(settings: dict[str, Any], seed: int) -> DataBundle:
    rng = np.random.default_rng(seed)
    first = dt.date(1950, 1, 1).toordinal()
    span = dt.date(2049, 12, 31).toordinal() - first
    days = [dt.date.fromordinal(first + int(rng.integers(span + 1))) for _ in range(settings["samples"])]
    return pairs_bundle("dates", [(human_date(d, rng), d.isoformat()) for d in days], settings, seed)


# -- your file -------------------------------------------------------------------------

def load_pairs_file(settings: dict[str, Any], seed: int) -> DataBundle:
    path = Path(settings["path"]).expanduser()
    text, notes = read_text_file(path)
    pairs, skipped, too_long = [], 0, 0
    for line in text.splitlines():
        if not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) < 2 or not cells[0].strip() or not cells[1].strip():
            skipped += 1
            continue
        source, target = cells[0].strip(), cells[1].strip()
        if max(len(source), len(target)) > settings["max_length"]:
            too_long += 1
            continue
        pairs.append((source, target))
        if settings["limit"] and len(pairs) >= settings["limit"]:
            break
    if not pairs:
        raise DltermError(f"{path} has no source<TAB>target pairs", "write one pair a line, the two texts separated by a tab")
    if skipped:
        notes.append(f"skipped {skipped} line(s) without a tab-separated pair")
    if too_long:
        notes.append(f"skipped {too_long} pair(s) longer than {settings['max_length']} characters (data.max_length)")
    return pairs_bundle(path.stem, pairs, settings, seed, notes)
