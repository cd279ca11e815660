"""Text classification data: generated phrases, your CSV/TSV file, and Keras's IMDB reviews.

Tokenisation and the vocabulary live outside the model, as plain data in
``preprocessing.json`` (``vocabulary``: the list of words, position = id; 0 is padding,
1 unknown words). The model takes token ids, and a device tokenises with the same rules
(:func:`dlterm_edge.preprocess.words`) in pure Python.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from dlterm.datasets.base import DataBundle, split_indices
from dlterm.datasets.memory import check_arrays
from dlterm.errors import DltermError
from dlterm.limits import MAX_DATA_BYTES, read_bytes
from dlterm.plugin_api import DataSpec, TensorSpec
from dlterm_edge.preprocess import encode_text, words

SPECIALS = ["<pad>", "<unk>"]


def build_vocabulary(token_lists: Sequence[Sequence[str]], max_size: int) -> list[str]:
    """The most frequent tokens of the training split (ties alphabetical), after PAD and UNKNOWN."""
    counts = Counter(t for tokens in token_lists for t in tokens)
    ranked = sorted(counts, key=lambda t: (-counts[t], t))
    return SPECIALS + ranked[: max(0, max_size - len(SPECIALS))]


def text_bundle(name: str, texts: list[str], labels: list[str], settings: dict[str, Any], seed: int,
                notes: list[str] | None = None) -> DataBundle:
    """Split labelled texts (shuffled), fit the vocabulary on the training part, encode."""
    check_arrays(name, len(texts), settings["max_length"], "lower data.max_length or use fewer texts")
    class_names = sorted(set(labels))
    if len(class_names) < 2:
        raise DltermError(f"text data '{name}' has only one label ({class_names[0] if class_names else 'none'})",
                          "classification needs at least two different labels")
    y = np.array([class_names.index(label) for label in labels], dtype=np.int32)
    tr, va, te = split_indices(len(texts), settings["val_fraction"], settings["test_fraction"], np.random.default_rng(seed))
    vocabulary = build_vocabulary([words(texts[i]) for i in tr], settings["max_words"])
    prep = {"kind": "text", "tokens": "words", "vocabulary": vocabulary, "max_length": settings["max_length"],
            "padding": "pre", "class_names": class_names}
    x = encode_text(texts, prep)
    spec = DataSpec("text-classification", (TensorSpec("tokens", (settings["max_length"],), "int32"),),
                    (len(class_names),), tuple(class_names),
                    # The words themselves, for builders that start from pretrained vectors.
                    {"vocabulary_size": len(vocabulary), "vocabulary": vocabulary})
    bundle = DataBundle(name, spec, x[tr], y[tr], x[va], y[va], x[te], y[te], prep, notes=list(notes or []))
    bundle.extra["test_texts"] = [texts[i] for i in te]
    return bundle


# -- generated phrases -----------------------------------------------------------------

_SUBJECTS = ["the film", "this movie", "the acting", "the plot", "the soundtrack", "the ending", "the cast",
             "the script", "the direction", "the story", "the dialogue", "the camera work"]
_VERBS = ["was", "is", "felt", "seemed", "looked", "sounded"]
_INTENSIFIERS = ["", "", "very", "really", "truly", "quite", "so", "rather", "incredibly"]
_POSITIVE = ["good", "great", "wonderful", "brilliant", "moving", "funny", "superb", "delightful", "charming",
             "clever", "gripping", "beautiful", "fresh", "memorable"]
_NEGATIVE = ["bad", "awful", "boring", "dull", "terrible", "weak", "clumsy", "predictable", "tedious", "bland",
             "forgettable", "silly", "messy", "flat"]
_OPENERS = ["", "", "", "honestly", "overall", "i think", "to be fair", "in the end", "frankly"]


def _clause(rng: np.random.Generator) -> tuple[str, bool]:
    """A clause and whether it is positive; 'not' flips the adjective's polarity."""
    positive = bool(rng.integers(2))
    adjective = rng.choice(_POSITIVE if positive else _NEGATIVE)
    negated = rng.random() < 0.3
    parts = [rng.choice(_SUBJECTS), rng.choice(_VERBS), "not" if negated else "", rng.choice(_INTENSIFIERS), adjective]
    return " ".join(p for p in parts if p), positive != negated


def phrase(rng: np.random.Generator) -> tuple[str, str]:
    """A short review: one clause, or 'A but B' where B decides the sentiment."""
    text, positive = _clause(rng)
    if rng.random() < 0.35:
        second, positive = _clause(rng)
        text = f"{text} but {second}"
    opener = rng.choice(_OPENERS)
    return (f"{opener} {text}" if opener else text), ("positive" if positive else "negative")


def load_phrases(settings: dict[str, Any], seed: int) -> DataBundle:
    rng = np.random.default_rng(seed)
    pairs = [phrase(rng) for _ in range(settings["samples"])]
    return text_bundle("phrases", [t for t, _ in pairs], [label for _, label in pairs], settings, seed)


# -- your file -------------------------------------------------------------------------

TEXT_NAMES = ("text", "review", "sentence", "comment", "content", "body", "document", "message")
LABEL_NAMES = ("label", "sentiment", "class", "category", "target", "polarity")


def read_text_file(path: Path) -> tuple[str, list[str]]:
    """The file's text, decoded as UTF-8 (else latin-1, with a note), refusing binary files."""
    raw = read_bytes(path, MAX_DATA_BYTES, "data file", "give a UTF-8 text file to --data")
    if b"\x00" in raw[:8192]:
        raise DltermError(f"{path} is a binary file, not text", "give a UTF-8 text file")
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        return raw.decode("latin-1"), [f"{path.name} is not UTF-8: read as latin-1"]


def _table(path: Path, text: str) -> list[list[str]]:
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".txt") or "\t" in text.split("\n", 1)[0] else ","
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter, quoting=csv.QUOTE_MINIMAL if delimiter == "," else csv.QUOTE_NONE)
            if any(cell.strip() for cell in r)]
    if not rows:
        raise DltermError(f"{path} has no rows", "it needs one text and one label per row")
    return rows


def _pick_columns(path: Path, rows: list[list[str]], text_col: str, label_col: str) -> tuple[int, int, list[list[str]]]:
    """Column positions of the text and the label, and the data rows (without a header)."""
    header = [h.strip().lower() for h in rows[0]]
    has_header = bool(text_col or label_col) or any(h in TEXT_NAMES + LABEL_NAMES for h in header)
    if not has_header:
        if len(rows[0]) != 2:
            raise DltermError(f"{path}: cannot tell which column is the text and which the label",
                              "add a header row and pass --set data.text_column=NAME --set data.label_column=NAME")
        lengths = [np.mean([len(r[i]) for r in rows if len(r) > i]) for i in (0, 1)]
        t = int(np.argmax(lengths))
        return t, 1 - t, rows

    def find(wanted: str, names: tuple[str, ...], what: str) -> int:
        if wanted:
            if wanted.lower() not in header:
                raise DltermError(f"{path} has no column {wanted!r}", f"its columns: {', '.join(rows[0])}")
            return header.index(wanted.lower())
        for n in names:
            if n in header:
                return header.index(n)
        raise DltermError(f"{path}: which column is the {what}?", f"pass --set data.{what}_column=NAME (columns: {', '.join(rows[0])})")

    return find(text_col, TEXT_NAMES, "text"), find(label_col, LABEL_NAMES, "label"), rows[1:]


def load_text_file(settings: dict[str, Any], seed: int) -> DataBundle:
    path = Path(settings["path"]).expanduser()
    content, notes = read_text_file(path)
    rows = _table(path, content)
    t, lab, body = _pick_columns(path, rows, settings["text_column"], settings["label_column"])
    texts, labels = [], []
    skipped = 0
    for r in body:
        if len(r) <= max(t, lab) or not r[t].strip() or not r[lab].strip():
            skipped += 1
            continue
        texts.append(r[t])
        labels.append(r[lab].strip())
    if skipped:
        notes.append(f"skipped {skipped} row(s) without both a text and a label")
    if len(texts) < 6:
        raise DltermError(f"{path} has only {len(texts)} usable rows", "give at least a few labelled texts per class")
    return text_bundle(path.stem, texts, labels, settings, seed, notes)


# -- IMDB through Keras ----------------------------------------------------------------

def load_imdb(settings: dict[str, Any], seed: int) -> DataBundle:
    """Keras's IMDB reviews (25k train, 25k test) through its loader and word index.

    Keras ids are word ranks + 3 (0 pad, 1 start, 2 out-of-vocabulary); they become
    dlterm's convention (0 pad, 1 unknown, rank r -> r + 1) so that raw text typed at
    prediction time encodes to the same ids.
    """
    from dlterm.datasets.images import keras_load_error, keras_splits
    from dlterm.keras_env import keras

    max_words, length = settings["max_words"], settings["max_length"]
    try:
        official_train, official_test = keras.datasets.imdb.load_data(num_words=max_words + 2)
        index = keras.datasets.imdb.get_word_index()
    except Exception as e:  # noqa: BLE001 - network errors come in many types
        raise keras_load_error("imdb", e, "use --dataset phrases / --data FILE") from None
    by_rank = sorted((rank, word) for word, rank in index.items() if rank + 3 < max_words + 2)
    vocabulary = SPECIALS + [w for _, w in by_rank]

    def convert(seqs: Any) -> np.ndarray:
        out = np.zeros((len(seqs), length), dtype=np.int32)
        for row, seq in enumerate(seqs):
            ids = [1 if i == 2 else i - 1 for i in seq if i != 1][:length]
            out[row, length - len(ids):] = ids
        return out

    # Only the kept reviews are converted; the shuffle makes the validation part follow --seed.
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = [
        (convert(x), np.asarray(y, np.int32))
        for x, y in keras_splits(official_train, official_test, settings, np.random.default_rng(seed))]
    class_names = ["negative", "positive"]
    prep = {"kind": "text", "tokens": "words", "vocabulary": vocabulary, "max_length": length,
            "padding": "pre", "class_names": class_names}
    spec = DataSpec("text-classification", (TensorSpec("tokens", (length,), "int32"),), (2,), tuple(class_names),
                    {"vocabulary_size": len(vocabulary), "vocabulary": vocabulary})
    return DataBundle("imdb", spec, x_tr, y_tr, x_va, y_va, x_te, y_te, prep)
