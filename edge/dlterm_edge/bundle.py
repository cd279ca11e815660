"""Deploy bundles: the folder ``dlterm export RUN --bundle DIR`` writes for a device.

Layout (names are the constants below)::

    DIR/
      model.onnx, model.int8.onnx, model.tflite, model.float16.tflite, ...   every exported
        variant: ONNX float32, dynamic and int8 (static QDQ); TFLite none to int8-full
        (seq2seq: model.encoder.onnx + model.decoder.onnx, model.encoder.int8.tflite ...)
      labels.txt       classification: one class name a line, in output order
      metadata.json    the export metadata (the same JSON the model files embed)
      README.md        the model card
      sample.npz       a small test sample (see below)
      inputs/          raw example inputs in their own format (images, .txt, .csv)
      SHA256SUMS       `sha256sum` format: every other file, paths relative to DIR

``sample.npz`` loads with ``allow_pickle=False``. Its keys, which ``dlterm-edge bench``
reads:

* one array per model input, under the input's name, already preprocessed
  (``image``, ``window``, ``tokens``...; seq2seq: ``source``, the encoder's input);
* ``expected``: Keras's outputs on those inputs (what ``Predictor.outputs`` returns:
  probabilities, scaled changes, or greedy-decoded target ids for seq2seq);
* ``y``: the true targets (class ids; scaled changes; target ids; next-character ids);
* forecasting only: ``last``, each window's last observed target value in original
  units (float64, shape (n,)), so RMSE is reported in the series' units.

A bundle is untrusted like any file: :func:`verify_checksums` refuses a missing, extra
or modified file with one line before anything in it is loaded.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from dlterm_edge.errors import InferenceError
from dlterm_edge.files import atomic_write_text

MODEL_SUFFIXES = (".onnx", ".tflite")
MODEL_FILES = ("model*.onnx", "model*.tflite")  # glob patterns of the model files
LABELS = "labels.txt"
METADATA = "metadata.json"
CARD = "README.md"
CHECKSUMS = "SHA256SUMS"
SAMPLE = "sample.npz"
INPUTS = "inputs"
QUANTIZATIONS = ("none", "float16", "dynamic", "int8", "int8-full")

MAX_CHECKSUM_LINES = 10_000
_SUM_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")
MODEL_NAME = re.compile(r"^model(?:\.(?!(?:float16|dynamic|int8-full|int8)\.(?:onnx|tflite)$)(?P<part>[A-Za-z0-9_-]+))?"
                         r"(?:\.(?P<quant>float16|dynamic|int8-full|int8))?\.(?P<fmt>onnx|tflite)$")


@dataclass
class Variant:
    """One runnable variant of a bundle: a format and quantization, a file per part."""

    format: str
    quantize: str
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.format} ({'fp32' if self.quantize == 'none' else self.quantize})"

    @property
    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.files.values())

    @property
    def path(self) -> Path:
        """The file to load: the single file, or any part (it finds its siblings)."""
        return next(iter(self.files.values()))


def is_bundle(path: str | Path) -> bool:
    return Path(path).is_dir()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _bundle_files(folder: Path) -> list[str]:
    """Every regular file under ``folder`` except SHA256SUMS, as sorted POSIX paths."""
    found = []
    for root, _dirs, files in os.walk(folder):
        for name in files:
            rel = (Path(root) / name).relative_to(folder).as_posix()
            if rel != CHECKSUMS:
                found.append(rel)
    return sorted(found)


def write_checksums(folder: str | Path) -> Path:
    """Write ``SHA256SUMS`` for every other file in the bundle (atomically); returns its path."""
    folder = Path(folder)
    lines = "".join(f"{sha256(folder / rel)}  {rel}\n" for rel in _bundle_files(folder))
    return atomic_write_text(folder / CHECKSUMS, lines)


def read_checksums(folder: str | Path) -> dict[str, str]:
    """``SHA256SUMS`` -> {relative path: hex digest}; malformed or unsafe lines are refused."""
    folder = Path(folder)
    path = folder / CHECKSUMS
    if not path.is_file():
        raise InferenceError(f"{folder} has no {CHECKSUMS}: not a dlterm bundle (write one with `dlterm export --bundle`)")
    if path.stat().st_size > MAX_CHECKSUM_LINES * 200:
        raise InferenceError(f"{path} is too large to be a bundle's checksum list")
    sums: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InferenceError(f"cannot read {path}: {e}") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _SUM_LINE.match(line)
        rel = match.group(2) if match else ""
        pure = PurePosixPath(rel)
        if not match or pure.is_absolute() or ".." in pure.parts or "\\" in rel or rel in sums:
            raise InferenceError(f"{path}, line {number}: not a safe 'SHA256  relative/path' line")
        sums[rel] = match.group(1)
    return sums


def verify_checksums(folder: str | Path) -> dict[str, str]:
    """Check every file against ``SHA256SUMS``; raise one line naming the first file that
    is missing, modified, or not listed. Returns the checksums."""
    folder = Path(folder)
    sums = read_checksums(folder)
    present = set(_bundle_files(folder))
    for rel, digest in sums.items():
        if rel not in present:
            raise InferenceError(f"bundle {folder}: {rel} is listed in {CHECKSUMS} but missing")
        if sha256(folder / rel) != digest:
            raise InferenceError(f"bundle {folder}: {rel} does not match its checksum (modified or corrupted); "
                                 "refusing to use the bundle")
    extra = sorted(present - set(sums))
    if extra:
        raise InferenceError(f"bundle {folder}: {extra[0]} is not listed in {CHECKSUMS} (added after export?); "
                             "refusing to use the bundle")
    return sums


def open_bundle(folder: str | Path, verify: bool = True) -> list[Variant]:
    """The variants a bundle holds, ONNX first then TFLite by quantization.

    Files of several parts (``model.encoder.onnx`` + ``model.decoder.onnx``) form one
    variant. With ``verify`` the checksums are checked first.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InferenceError(f"bundle folder not found: {folder}")
    if verify:
        verify_checksums(folder)
    variants: dict[tuple[str, str], Variant] = {}
    for path in sorted(folder.iterdir()):
        match = MODEL_NAME.match(path.name)
        if not match or not path.is_file():
            continue
        fmt, quant = match.group("fmt"), match.group("quant") or "none"
        variant = variants.setdefault((fmt, quant), Variant(fmt, quant))
        variant.files[match.group("part") or "model"] = path
    if not variants:
        raise InferenceError(f"bundle {folder} holds no model file (model*.onnx or model*.tflite)")
    order = sorted(variants, key=lambda k: (k[0] != "onnx", QUANTIZATIONS.index(k[1])))
    return [variants[k] for k in order]
