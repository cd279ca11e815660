"""Run an exported dlterm model: numpy + onnxruntime (``.onnx``) or LiteRT (``.tflite``).

This file stands alone: it imports nothing from dlterm or TensorFlow, so you can copy it
to a device next to an exported model. A minimal device install is::

    pip install numpy pillow onnxruntime      # for .onnx files
    pip install numpy pillow ai-edge-litert   # for .tflite files

Every export carries its metadata (task, inputs, class names, preprocessing): inside the
ONNX file's ``metadata_props`` under the key ``dlterm``, and beside a ``.tflite`` file as
``<file>.json``. So::

    from inference import load
    model = load("model.onnx")
    print(model.predict(["cat.png"]))         # image classification
    print(model.predict([[112, 118, 132]]))   # forecasting: recent values -> next value

dlterm's training code uses the same preprocessing functions from this module, so a
device preprocesses exactly as training did.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

METADATA_KEY = "dlterm"


class InferenceError(Exception):
    """Bad input or a model file that cannot be used; the message says which."""


# -- preprocessing (shared with training) -----------------------------------------------

def load_image(path: str | Path, height: int, width: int, channels: int) -> np.ndarray:
    """An image file -> float32 (height, width, channels) in [0, 1]; any mode, resized.

    Transparency is composited onto white so the background does not become black noise.
    """
    from PIL import Image

    with Image.open(path) as img:
        img.load()
        if img.mode in ("RGBA", "LA", "P") or "transparency" in img.info:
            rgba = img.convert("RGBA")
            canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            img = Image.alpha_composite(canvas, rgba)
        img = img.convert("L" if channels == 1 else "RGB")
        img = img.resize((width, height), Image.BILINEAR)
        arr = np.asarray(img, dtype=np.float32) / 255.0
    return arr[..., None] if channels == 1 else arr


def relative_windows(raw: np.ndarray, prep: dict[str, Any]) -> np.ndarray:
    """Raw windows (batch, window, features) in original units -> model inputs:
    each window minus its last row, divided by the training-part standard deviation."""
    scale = np.asarray(prep["scale"], dtype=np.float64)
    return ((raw - raw[:, -1:, :]) / scale).astype(np.float32)


def to_units(change: np.ndarray, last: np.ndarray, prep: dict[str, Any]) -> np.ndarray:
    """Model outputs (scaled changes) -> forecasts in original units: last + change * scale."""
    return np.asarray(last, dtype=np.float64) + np.asarray(change, dtype=np.float64).reshape(-1) * prep["scale"][0]


# -- runtimes --------------------------------------------------------------------------

class OnnxBackend:
    """onnxruntime on the CPU."""

    def __init__(self, path: Path):
        import onnxruntime as ort

        try:
            self.session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        except Exception as e:  # noqa: BLE001 - onnxruntime raises its own exception types
            raise InferenceError(f"{path} is not a usable ONNX model: {str(e).splitlines()[0][:200]}") from None
        self.input_names = [i.name for i in self.session.get_inputs()]
        props = self.session.get_modelmeta().custom_metadata_map
        self.metadata = json.loads(props[METADATA_KEY]) if METADATA_KEY in props else None

    def __call__(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        return self.session.run(None, {n: inputs[n] for n in self.input_names})[0]


class TfliteBackend:
    """LiteRT's interpreter. Inputs are matched by name (its order is not Keras's); a
    fixed batch of 1 is looped over; int8 inputs/outputs are (de)quantized."""

    def __init__(self, path: Path):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:  # an older device image: TensorFlow Lite's runtime
            from tflite_runtime.interpreter import Interpreter  # type: ignore
        try:
            self.interpreter = Interpreter(model_path=str(path))
            self.interpreter.allocate_tensors()
        except Exception as e:  # noqa: BLE001
            raise InferenceError(f"{path} is not a usable TFLite model: {str(e).splitlines()[0][:200]}") from None
        self.inputs = self.interpreter.get_input_details()
        self.output = self.interpreter.get_output_details()[0]
        sidecar = Path(str(path) + ".json")
        self.metadata = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.is_file() else None

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
    if detail["dtype"] in (np.int8, np.uint8):
        scale, zero = detail["quantization"]
        info = np.iinfo(detail["dtype"])
        return np.clip(np.round(x / scale + zero), info.min, info.max).astype(detail["dtype"])
    return x.astype(detail["dtype"])


def _dequantize(y: np.ndarray, detail: dict[str, Any]) -> np.ndarray:
    if detail["dtype"] in (np.int8, np.uint8):
        scale, zero = detail["quantization"]
        return (y.astype(np.float32) - zero) * scale
    return y.astype(np.float32)


# -- the predictor ---------------------------------------------------------------------

class Predictor:
    """Task-aware prediction over any backend (a callable: {input name: batch} -> outputs)."""

    def __init__(self, backend: Callable[[dict[str, np.ndarray]], np.ndarray], metadata: dict[str, Any]):
        self.backend = backend
        self.metadata = metadata
        self.task = metadata["task"]
        self.prep = metadata["preprocessing"]
        self.input_names = [i["name"] for i in metadata["inputs"]]

    def run(self, x: np.ndarray) -> np.ndarray:
        """One batch for a single-input model."""
        return self.backend({self.input_names[0]: np.ascontiguousarray(x, dtype=np.float32)})

    def predict(self, inputs: Sequence[Any], steps: int = 1) -> list[dict[str, Any]]:
        if self.task == "image-classification":
            return self.classify_images(inputs)
        if self.task == "sequence-forecasting":
            return [self.forecast(inputs, steps)]
        raise InferenceError(f"prediction for the task {self.task!r} is not supported by this module version")

    def classify_images(self, paths: Sequence[str | Path]) -> list[dict[str, Any]]:
        p = self.prep
        images = []
        for path in paths:
            try:
                images.append(load_image(path, p["height"], p["width"], p["channels"]))
            except FileNotFoundError:
                raise InferenceError(f"image not found: {path}") from None
            except (OSError, ValueError, SyntaxError):
                raise InferenceError(f"{path} is not a readable image (PNG, JPEG, ...)") from None
        probs = self.run(np.stack(images))
        names = p["class_names"]
        return [{"input": str(path), "label": names[int(row.argmax())], "confidence": float(row.max()),
                 "probabilities": {n: float(v) for n, v in zip(names, row)}} for path, row in zip(paths, probs)]

    def forecast(self, values: Sequence[Any], steps: int = 1) -> dict[str, Any]:
        """Recent values (oldest first; rows of all columns for multi-column models) ->
        the next ``steps`` values of the target, each fed back for the next step."""
        p = self.prep
        window, columns = p["window"], p["columns"]
        try:
            history = np.asarray(values, dtype=np.float64).reshape(len(values), -1)
        except (TypeError, ValueError):
            raise InferenceError("forecast input must be numbers (rows of numbers for several columns)") from None
        if history.shape[1] != len(columns):
            raise InferenceError(f"each row needs {len(columns)} value(s) ({', '.join(columns)}), got {history.shape[1]}")
        if len(history) < window:
            raise InferenceError(f"need at least {window} recent values (the window), got {len(history)}")
        if not np.all(np.isfinite(history)):
            raise InferenceError("the input has NaN or infinite values")
        if steps > 1 and len(columns) > 1:
            raise InferenceError("multi-step forecasts need a single-column model (other columns cannot be forecast)")
        last = float(history[-1, 0])
        out = []
        for step in range(steps):
            raw = history[-window:][None]
            change = self.run(relative_windows(raw, p))
            out.append(float(to_units(change, raw[:, -1, 0], p)[0]))
            if step + 1 < steps:  # feed the forecast back as the newest value
                history = np.vstack([history, [[out[-1]]]])
        return {"target": p["target"], "forecast": out, "last": last}


def load(path: str | Path) -> Predictor:
    """Load an exported ``.onnx`` or ``.tflite`` file with its dlterm metadata."""
    path = Path(path)
    if not path.is_file():
        raise InferenceError(f"model file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        backend: Any = OnnxBackend(path)
    elif suffix == ".tflite":
        backend = TfliteBackend(path)
    else:
        raise InferenceError(f"{path.name}: expected a .onnx or .tflite file")
    if not backend.metadata:
        raise InferenceError(f"{path.name} has no dlterm metadata; export it with `dlterm export`")
    return Predictor(backend, backend.metadata)
