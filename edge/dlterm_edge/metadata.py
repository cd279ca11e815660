"""The metadata format of dlterm exports: where it lives in each file, and its validation.

A model is only usable with its metadata (task, inputs, class names, preprocessing,
vocabularies), so every export carries it *inside* the model file:

* ``.onnx``: the JSON under ``metadata_props`` key ``dlterm`` (:data:`METADATA_KEY`), plus
  flat keys other tools read (:func:`flat_onnx_properties`);
* ``.tflite``: a zip archive holding ``metadata.json`` appended to the flatbuffer (the
  approach Ultralytics uses): LiteRT ignores trailing bytes, :mod:`zipfile` finds the
  archive from the end. A sidecar ``<file>.json`` is still read when there is no archive
  (older exports), but it is never required.

Everything read from a file is untrusted: :func:`validate_metadata` checks the types of
what inference uses and caps every declared size, so a crafted file (a 100000x100000
image, a billion-word vocabulary) is refused with one line before anything is allocated.
This module needs only the standard library (onnxruntime only to read an ``.onnx``).
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path, PurePath
from typing import Any

from dlterm_edge.errors import InferenceError

METADATA_KEY = "dlterm"
ARCHIVE_MEMBER = "metadata.json"
SIDECAR_SUFFIX = ".json"
FORMAT_VERSION = 1

TASKS = ("image-classification", "sequence-forecasting", "text-classification", "sequence-to-sequence",
         "text-generation")
DTYPES = ("float32", "float16", "int32", "int64", "int8", "uint8")
QUANTIZED_DTYPES = {"int8": (-128, 127), "uint8": (0, 255)}  # full-integer files' inputs and outputs

# Caps on what a file may declare. Generous for real models, far below what would exhaust
# a device's memory (one float32 input of MAX_INPUT_ELEMENTS is 64 MB).
MAX_METADATA_BYTES = 32 * 1024 * 1024
MAX_IMAGE_SIDE = 4096
MAX_INPUT_ELEMENTS = 16 * 1024 * 1024
MAX_SEQUENCE_LENGTH = 100_000
MAX_VOCABULARY = 2_000_000
MAX_CLASSES = 100_000
MAX_COLUMNS = 1_000
MAX_PARTS = 8
MAX_NAME_CHARS = 256


def _fail(source: str, what: str) -> InferenceError:
    return InferenceError(f"{source}: invalid dlterm metadata: {what} (re-export the model with `dlterm export`)")


# -- writing ---------------------------------------------------------------------------

def embed_tflite_metadata(model_bytes: bytes, metadata: dict[str, Any]) -> bytes:
    """A ``.tflite`` flatbuffer with ``metadata`` appended as a zip holding ``metadata.json``.

    An archive already appended (a re-export) is replaced, not stacked.
    """
    model = strip_tflite_metadata(model_bytes)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(ARCHIVE_MEMBER, json.dumps(metadata, ensure_ascii=False))
    return model + buffer.getvalue()


def strip_tflite_metadata(data: bytes) -> bytes:
    """The flatbuffer alone: ``data`` without an appended metadata archive."""
    start = _archive_start(data)
    return data if start is None else data[:start]


def _archive_start(data: bytes) -> int | None:
    # A zip is found from its end; zipfile shifts each member's header_offset by the bytes
    # before the archive, so the first member's offset is where the archive starts.
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            offsets = [info.header_offset for info in archive.infolist()]
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    return min(offsets) if offsets else None


def flat_onnx_properties(metadata: dict[str, Any]) -> dict[str, str]:
    """Flat ``metadata_props`` entries other tools read, beside the full JSON.

    ``task``, ``labels`` (a JSON list), ``dlterm_version``; for image models also
    ``image_size`` ("HxWxC"), ``normalization`` and ONNX's standard image keys
    ``Image.BitmapPixelFormat`` and ``Image.NominalPixelRange``.
    """
    props = {"task": str(metadata.get("task", ""))}
    labels = metadata.get("class_names") or (metadata.get("preprocessing") or {}).get("class_names")
    if labels:
        props["labels"] = json.dumps(list(labels), ensure_ascii=False)
    if metadata.get("dlterm_version"):
        props["dlterm_version"] = str(metadata["dlterm_version"])
    prep = metadata.get("preprocessing") or {}
    if prep.get("kind") == "image":
        props["image_size"] = f"{prep['height']}x{prep['width']}x{prep['channels']}"
        props["normalization"] = "pixel / 255 (range 0 to 1)"
        props["Image.BitmapPixelFormat"] = "Gray8" if prep["channels"] == 1 else "Rgb8"
        props["Image.NominalPixelRange"] = "Normalized_0_1"
    return props


# -- reading ---------------------------------------------------------------------------

def read_metadata(path: str | Path) -> dict[str, Any]:
    """The validated metadata of an exported ``.onnx`` or ``.tflite`` file.

    Raises :class:`InferenceError` (one line) when the file is missing, has no dlterm
    metadata, or its metadata is malformed or declares sizes beyond the caps.
    """
    meta = find_metadata(path)
    if meta is None:
        raise InferenceError(no_metadata_message(path))
    return meta


def no_metadata_message(path: str | Path) -> str:
    """Why a model file has no metadata, naming the file to restore: a .tflite file's
    sidecar ``.json`` when its embedded copy is gone too."""
    name = Path(path).name
    if Path(path).suffix.lower() == ".tflite":
        return (f"{name} has no dlterm metadata: none embedded, and its sidecar {name}{SIDECAR_SUFFIX} is missing; "
                f"copy {name}{SIDECAR_SUFFIX} next to it, or export the run again with `dlterm export`")
    return f"{name} has no dlterm metadata; export it with `dlterm export`"


def find_metadata(path: str | Path) -> dict[str, Any] | None:
    """Like :func:`read_metadata`, but None when the file carries no dlterm metadata."""
    path = Path(path)
    if not path.is_file():
        raise InferenceError(f"model file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        text = _onnx_metadata_text(path)
    elif suffix == ".tflite":
        text = _tflite_metadata_text(path)
    else:
        raise InferenceError(f"{path.name}: expected a .onnx or .tflite file")
    return None if text is None else parse_metadata(text, path.name)


def parse_metadata(text: str | bytes, source: str) -> dict[str, Any]:
    """JSON text from a file -> validated metadata (``source`` names the file in errors)."""
    if len(text) > MAX_METADATA_BYTES:
        raise _fail(source, f"more than {MAX_METADATA_BYTES // 2**20} MB")
    try:
        meta = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _fail(source, "not valid JSON") from None
    return validate_metadata(meta, source)


def onnx_metadata_from_props(props: dict[str, str], source: str) -> dict[str, Any] | None:
    """Validated metadata from an ONNX model's ``metadata_props`` (None when absent)."""
    text = props.get(METADATA_KEY)
    return None if text is None else parse_metadata(text, source)


def _onnx_metadata_text(path: Path) -> str | None:
    import onnxruntime as ort

    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as e:  # noqa: BLE001 - onnxruntime raises its own exception types
        raise InferenceError(f"{path} is not a usable ONNX model: {str(e).splitlines()[0][:200]}") from None
    return session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)


def _tflite_metadata_text(path: Path) -> str | None:
    embedded = tflite_embedded_text(path.read_bytes(), path.name)
    if embedded is not None:
        return embedded
    sidecar = Path(str(path) + SIDECAR_SUFFIX)
    if sidecar.is_file():
        if sidecar.stat().st_size > MAX_METADATA_BYTES:
            raise _fail(sidecar.name, f"more than {MAX_METADATA_BYTES // 2**20} MB")
        try:
            return sidecar.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise InferenceError(f"cannot read {sidecar}: {e}") from None
    return None


def tflite_embedded_text(data: bytes, source: str) -> str | None:
    """The ``metadata.json`` appended to a ``.tflite`` file's bytes, or None."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            try:
                info = archive.getinfo(ARCHIVE_MEMBER)
            except KeyError:
                return None
            if info.file_size > MAX_METADATA_BYTES:  # declared size: refuse before inflating
                raise _fail(source, f"embedded metadata of {info.file_size} bytes exceeds the cap")
            with archive.open(info) as member:
                raw = member.read(MAX_METADATA_BYTES + 1)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        return None
    if len(raw) > MAX_METADATA_BYTES:
        raise _fail(source, "embedded metadata exceeds the cap")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _fail(source, "embedded metadata is not UTF-8") from None


# -- validation ------------------------------------------------------------------------

def validate_metadata(meta: Any, source: str = "metadata") -> dict[str, Any]:
    """Check the types and sizes of everything inference reads; returns ``meta``.

    Raises :class:`InferenceError` with one line naming the first problem.
    """
    check = _Checker(source)
    check.mapping(meta, "the metadata")
    version = meta.get("format_version", FORMAT_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION:
        raise InferenceError(f"{source}: metadata format {version!r} is newer than this dlterm-edge understands "
                             "(upgrade dlterm-edge)")
    task = meta.get("task")
    if task not in TASKS:
        raise check.fail(f"unknown task {task!r} (expected one of: {', '.join(TASKS)})")
    if meta.get("class_names") is not None:
        check.strings(meta["class_names"], "class_names", MAX_CLASSES)
    prep = meta.get("preprocessing")
    check.mapping(prep, "preprocessing")
    parts = meta.get("parts")
    if parts:
        check.mapping(parts, "parts")
        if len(parts) > MAX_PARTS:
            raise check.fail(f"{len(parts)} parts (at most {MAX_PARTS})")
        for name, part in parts.items():
            check.mapping(part, f"part {name!r}")
            if part.get("file"):  # a bundle's metadata.json may leave it out: the variant's files say
                check.file_name(part["file"], f"the file of part {name!r}")
            check.tensors(part.get("inputs"), f"inputs of part {name!r}")
            if part.get("outputs") is not None:
                check.tensors(part["outputs"], f"outputs of part {name!r}")
        if meta.get("part") is not None and meta["part"] not in parts:
            raise check.fail(f"part {meta['part']!r} is not among the parts")
    else:
        check.tensors(meta.get("inputs"), "inputs")
        if not meta["inputs"]:
            raise check.fail("no inputs")
        if meta.get("outputs") is not None:
            check.tensors(meta["outputs"], "outputs")
    _TASK_CHECKS[task](check, prep)
    return meta


class _Checker:
    """Small type and range checks that raise one line naming the field."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, what: str) -> InferenceError:
        return _fail(self.source, what)

    def mapping(self, value: Any, field: str) -> None:
        if not isinstance(value, dict):
            raise self.fail(f"{field} must be an object")

    def integer(self, value: Any, field: str, low: int, high: int) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"{field} must be an integer, got {type(value).__name__}")
        if not low <= value <= high:
            raise self.fail(f"{field} = {value} is outside {low}..{high}")
        return value

    def strings(self, value: Any, field: str, limit: int, minimum: int = 0) -> None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{field} must be a list of strings")
        if not minimum <= len(value) <= limit:
            raise self.fail(f"{field} has {len(value)} entries (allowed {minimum}..{limit})")

    def numbers(self, value: Any, field: str, count: int) -> None:
        if (not isinstance(value, list) or len(value) != count
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v > 0
                           for v in value)):
            raise self.fail(f"{field} must be {count} positive finite number(s)")

    def name(self, value: Any, field: str) -> None:
        if not isinstance(value, str) or not 0 < len(value) <= MAX_NAME_CHARS:
            raise self.fail(f"{field} must be a non-empty string of at most {MAX_NAME_CHARS} characters")

    def file_name(self, value: Any, field: str) -> None:
        # A part's file is opened beside the model: a bare name, never a path elsewhere.
        self.name(value, field)
        if PurePath(value).name != value or value in (".", "..") or "\\" in value:
            raise self.fail(f"{field} must be a bare file name, got {value!r}")

    def quantization(self, value: Any, field: str) -> None:
        """An integer tensor's (dtype, scale, zero point): real = (q - zero_point) * scale."""
        self.mapping(value, field)
        dtype = value.get("dtype")
        if dtype not in QUANTIZED_DTYPES:
            raise self.fail(f"{field}: dtype must be one of {', '.join(QUANTIZED_DTYPES)}, got {dtype!r}")
        self.numbers([value.get("scale")], f"{field}: scale", 1)
        low, high = QUANTIZED_DTYPES[dtype]
        self.integer(value.get("zero_point"), f"{field}: zero_point", low, high)

    def tensors(self, value: Any, field: str) -> None:
        if not isinstance(value, list) or len(value) > 16:
            raise self.fail(f"{field} must be a list of at most 16 tensors")
        for tensor in value:
            self.mapping(tensor, f"each of {field}")
            self.name(tensor.get("name"), f"a tensor name in {field}")
            if tensor.get("dtype", "float32") not in DTYPES:
                raise self.fail(f"{field}: dtype {tensor.get('dtype')!r} is not one of {', '.join(DTYPES)}")
            if tensor.get("quantization") is not None:
                self.quantization(tensor["quantization"], f"{field}: quantization of {tensor['name']!r}")
            shape = tensor.get("shape")
            if shape is None:
                continue
            if not isinstance(shape, list) or len(shape) > 8:
                raise self.fail(f"{field}: shape of {tensor['name']!r} must be a list of at most 8 sizes")
            elements = 1
            for size in shape:
                if size is not None:
                    elements *= self.integer(size, f"a size in the shape of {tensor['name']!r}", 1, MAX_INPUT_ELEMENTS)
            if elements > MAX_INPUT_ELEMENTS:
                raise self.fail(f"{tensor['name']!r} declares {elements} elements per sample "
                                f"(at most {MAX_INPUT_ELEMENTS})")


def _check_image(check: _Checker, prep: dict[str, Any]) -> None:
    height = check.integer(prep.get("height"), "preprocessing.height", 1, MAX_IMAGE_SIDE)
    width = check.integer(prep.get("width"), "preprocessing.width", 1, MAX_IMAGE_SIDE)
    channels = prep.get("channels")
    if channels not in (1, 3) or isinstance(channels, bool):
        raise check.fail(f"preprocessing.channels must be 1 or 3, got {channels!r}")
    if height * width * channels > MAX_INPUT_ELEMENTS:
        raise check.fail(f"an image of {height}x{width}x{channels} exceeds {MAX_INPUT_ELEMENTS} values")
    check.strings(prep.get("class_names"), "preprocessing.class_names", MAX_CLASSES, minimum=1)


def _check_series(check: _Checker, prep: dict[str, Any]) -> None:
    check.integer(prep.get("window"), "preprocessing.window", 1, MAX_SEQUENCE_LENGTH)
    check.strings(prep.get("columns"), "preprocessing.columns", MAX_COLUMNS, minimum=1)
    check.name(prep.get("target"), "preprocessing.target")
    check.numbers(prep.get("scale"), "preprocessing.scale", len(prep["columns"]))


def _check_text(check: _Checker, prep: dict[str, Any]) -> None:
    if prep.get("tokens") not in ("words", "chars"):
        raise check.fail(f"preprocessing.tokens must be 'words' or 'chars', got {prep.get('tokens')!r}")
    check.strings(prep.get("vocabulary"), "preprocessing.vocabulary", MAX_VOCABULARY, minimum=2)
    check.integer(prep.get("max_length"), "preprocessing.max_length", 1, MAX_SEQUENCE_LENGTH)
    check.strings(prep.get("class_names"), "preprocessing.class_names", MAX_CLASSES, minimum=1)


def _check_pairs(check: _Checker, prep: dict[str, Any]) -> None:
    check.strings(prep.get("source_vocabulary"), "preprocessing.source_vocabulary", MAX_VOCABULARY, minimum=2)
    check.strings(prep.get("target_vocabulary"), "preprocessing.target_vocabulary", MAX_VOCABULARY, minimum=3)
    check.integer(prep.get("source_length"), "preprocessing.source_length", 1, MAX_SEQUENCE_LENGTH)
    check.integer(prep.get("target_length"), "preprocessing.target_length", 1, MAX_SEQUENCE_LENGTH)


def _check_chars(check: _Checker, prep: dict[str, Any]) -> None:
    check.strings(prep.get("vocabulary"), "preprocessing.vocabulary", MAX_VOCABULARY, minimum=3)
    check.integer(prep.get("window"), "preprocessing.window", 1, MAX_SEQUENCE_LENGTH)


_TASK_CHECKS = {
    "image-classification": _check_image,
    "sequence-forecasting": _check_series,
    "text-classification": _check_text,
    "sequence-to-sequence": _check_pairs,
    "text-generation": _check_chars,
}
