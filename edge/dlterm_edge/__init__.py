"""dlterm-edge: run models exported by dlterm on a device, without TensorFlow.

``load(path)`` takes an exported ``.onnx``/``.tflite`` file or a deploy bundle folder and
returns a task-aware :class:`~dlterm_edge.predictor.Predictor`. Only numpy, onnxruntime,
pillow and (for ``.tflite``) ai-edge-litert are ever imported.
"""

from __future__ import annotations

__version__ = "0.1.0"

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlterm_edge.errors import InferenceError

if TYPE_CHECKING:
    from dlterm_edge.bundle import Variant
    from dlterm_edge.predictor import Predictor

__all__ = ["InferenceError", "load", "load_variant", "bundle_metadata"]


def load(path: str | Path, variant: str | None = None) -> Predictor:
    """A Predictor for an exported model file, or for a deploy bundle folder.

    A bundle's checksums are verified first; ``variant`` picks one by format and
    quantization ("onnx", "onnx-int8", "tflite", "tflite-int8", ...), else the first (ONNX
    float32) is used.
    """
    from dlterm_edge.bundle import open_bundle
    from dlterm_edge.predictor import load_file

    path = Path(path)
    if not path.exists():
        raise InferenceError(f"model file or bundle not found: {path}")
    if not path.is_dir():
        if variant is not None:
            raise InferenceError(f"{path.name} is a single model file: a variant can only be picked in a bundle folder")
        return load_file(path)
    variants = open_bundle(path)
    if variant is None:
        return load_variant(variants[0], bundle_metadata(path))
    for v in variants:
        if variant_name(v) == variant:
            return load_variant(v, bundle_metadata(path))
    raise InferenceError(f"bundle {path} has no variant {variant!r} "
                         f"(it has: {', '.join(variant_name(v) for v in variants)})")


def variant_name(v: Variant) -> str:
    """``onnx``, ``onnx-dynamic``, ``tflite-int8``: how --format names a bundle's variant."""
    return v.format if v.quantize == "none" else f"{v.format}-{v.quantize}"


def load_variant(v: Variant, fallback_metadata: dict[str, Any] | None = None) -> Predictor:
    """A Predictor over one bundle variant's files (one per part); each file's own
    metadata is used, else the bundle's ``metadata.json``."""
    from dlterm_edge.predictor import Predictor
    from dlterm_edge.runtimes import backend_for

    backends = {part: backend_for(file) for part, file in v.files.items()}
    meta = next((b.metadata for b in backends.values() if b.metadata), None) or fallback_metadata
    if not meta:
        raise InferenceError(f"{v.path.name} has no dlterm metadata and the bundle has no valid metadata.json")
    expected = set(meta.get("parts") or {"model": None})
    if set(backends) != expected:
        raise InferenceError(f"the {variant_name(v)} variant has the parts {', '.join(sorted(backends))}, "
                             f"the model needs {', '.join(sorted(expected))}")
    return Predictor(backends, meta)


def bundle_metadata(folder: str | Path) -> dict[str, Any] | None:
    """A bundle's validated ``metadata.json`` (None when absent)."""
    from dlterm_edge.bundle import METADATA
    from dlterm_edge.metadata import parse_metadata

    path = Path(folder) / METADATA
    if not path.is_file():
        return None
    return parse_metadata(path.read_bytes(), f"{Path(folder).name}/{METADATA}")
