"""The runtimes that execute exported files: ONNX Runtime (``.onnx``) and LiteRT (``.tflite``).

A backend is a callable {input name: batch} -> first output batch, plus the file's
validated ``metadata`` (None when it has none). LiteRT prints an INFO line about its
XNNPACK delegate on every load (issue 14): it is muted at the file-descriptor level.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np

from dlterm_edge.errors import InferenceError
from dlterm_edge.metadata import find_metadata, onnx_metadata_from_props


@contextlib.contextmanager
def quiet_stderr():
    """Mute file descriptor 2 while native code runs (LiteRT logs past Python's sys.stderr).

    Python exceptions still propagate; DLTERM_DEBUG=1 shows everything.
    """
    if os.environ.get("DLTERM_DEBUG"):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class OnnxBackend:
    """onnxruntime on the CPU. Called with {input name: batch}, returns the first output."""

    def __init__(self, path: Path):
        import onnxruntime as ort

        try:
            self.session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        except Exception as e:  # noqa: BLE001 - onnxruntime raises its own exception types
            raise InferenceError(f"{path} is not a usable ONNX model: {str(e).splitlines()[0][:200]}") from None
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.metadata = onnx_metadata_from_props(self.session.get_modelmeta().custom_metadata_map, path.name)

    def __call__(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(None, {n: inputs[n] for n in self.input_names})[0]


class TfliteBackend:
    """LiteRT's interpreter. Inputs are matched by name (its order is not Keras's); a
    fixed batch of 1 is looped over; int8 inputs/outputs are (de)quantized."""

    def __init__(self, path: Path):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            try:  # an older device image: TensorFlow Lite's runtime
                from tflite_runtime.interpreter import Interpreter  # type: ignore
            except ImportError:
                raise InferenceError(f"{path.name} needs LiteRT: pip install 'dlterm-edge[tflite]' "
                                     "(no Windows wheel; use the .onnx file there)") from None
        self.metadata = find_metadata(path)
        try:
            with quiet_stderr():  # "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
                self.interpreter = Interpreter(model_path=str(path))
                self.interpreter.allocate_tensors()
        except Exception as e:  # noqa: BLE001
            raise InferenceError(f"{path} is not a usable TFLite model: {str(e).splitlines()[0][:200]}") from None
        self.inputs = self.interpreter.get_input_details()
        self.output = self.interpreter.get_output_details()[0]

    def _detail_for(self, name: str) -> dict[str, Any]:
        for d in self.inputs:
            if d["name"] == name or d["name"].split(":")[0].endswith(name):
                return d
        if len(self.inputs) == 1:
            return self.inputs[0]
        raise InferenceError(f"the TFLite model has no input named {name!r}")

    def __call__(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        n = len(next(iter(inputs.values())))
        outs = []
        for i in range(n):
            # Fused LSTM/GRU ops keep their state in variable tensors between invokes:
            # each sample must start from zero state, as in Keras.
            self.interpreter.reset_all_variables()
            for name, value in inputs.items():
                d = self._detail_for(name)
                self.interpreter.set_tensor(d["index"], _quantize(value[i:i + 1], d))
            self.interpreter.invoke()
            outs.append(_dequantize(self.interpreter.get_tensor(self.output["index"]), self.output))
        return np.concatenate(outs, axis=0)


def _quantize(x: np.ndarray, detail: dict[str, Any]) -> np.ndarray:
    if detail["dtype"] in (np.int8, np.uint8) and x.dtype.kind == "f":
        scale, zero = detail["quantization"]
        info = np.iinfo(detail["dtype"])
        return np.clip(np.round(x / scale + zero), info.min, info.max).astype(detail["dtype"])
    return x.astype(detail["dtype"])


def _dequantize(y: np.ndarray, detail: dict[str, Any]) -> np.ndarray:
    if detail["dtype"] in (np.int8, np.uint8):
        scale, zero = detail["quantization"]
        return (y.astype(np.float32) - zero) * scale
    return y.astype(np.float32)


Backend = Callable[[dict[str, np.ndarray]], np.ndarray]


Backend = Callable[[dict[str, np.ndarray]], np.ndarray]


def backend_for(path: Path) -> Any:
    """The backend for a model file, by its suffix."""
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        return OnnxBackend(path)
    if suffix == ".tflite":
        return TfliteBackend(path)
    raise InferenceError(f"{path.name}: expected a .onnx or .tflite file")


def runtime_versions() -> dict[str, str]:
    """Installed runtime versions, for benchmark headers ("not installed" when absent)."""
    from importlib import metadata

    out = {}
    for dist in ("numpy", "onnxruntime", "ai-edge-litert", "pillow"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out
