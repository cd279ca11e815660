"""Run an exported dlterm model: numpy + onnxruntime (``.onnx``) or LiteRT (``.tflite``).

This file stands alone: it imports nothing from dlterm or TensorFlow, so you can copy it
to a device next to an exported model. A minimal device install is::

    pip install numpy pillow onnxruntime      # for .onnx files
    pip install numpy pillow ai-edge-litert   # for .tflite files

Every export carries its metadata (task, inputs, class names, preprocessing, vocabulary):
inside the ONNX file's ``metadata_props`` under the key ``dlterm``, and beside a
``.tflite`` file as ``<file>.json``. So::

    from inference import load
    model = load("model.onnx")
    print(model.predict(["cat.png"]))                     # image classification
    print(model.predict([[112, 118, 132]]))               # forecasting: recent values
    print(model.predict(["what a wonderful film"]))       # text classification
    print(model.predict(["march 3, 2021"]))               # sequence-to-sequence
    print(model.predict(["ROMEO:"], length=200))          # text generation

A sequence-to-sequence model is two files, ``model.encoder.*`` and ``model.decoder.*``
(the decoder runs once per output token); loading either finds the other beside it.

dlterm's training code uses the same preprocessing functions from this module (image
loading, series scaling, tokenisation), so a device preprocesses exactly as training did.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

METADATA_KEY = "dlterm"
PAD, UNKNOWN = 0, 1  # token ids shared by every vocabulary
START, END = 1, 2  # target-side ids of sequence-to-sequence vocabularies


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


_WORD_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


def words(text: str) -> list[str]:
    """The word tokeniser: lower-case runs of letters and digits ("don't" stays one word)."""
    return _WORD_RE.findall(text.lower())


def encode_tokens(tokens: Sequence[str], index: dict[str, int], length: int) -> np.ndarray:
    """Tokens -> ``length`` ids: unknown ones become UNKNOWN, the first ``length`` are kept
    and the rest is padded with PAD at the front (recurrent layers then end on real tokens)."""
    ids = [index.get(t, UNKNOWN) for t in tokens][:length]
    return np.array([PAD] * (length - len(ids)) + ids, dtype=np.int32)


def vocabulary_index(vocabulary: Sequence[str]) -> dict[str, int]:
    """A vocabulary list (position = id; 0 and 1 are PAD and UNKNOWN) -> {token: id}."""
    return {tok: i for i, tok in enumerate(vocabulary) if i > UNKNOWN}


def encode_text(texts: Sequence[str], prep: dict[str, Any]) -> np.ndarray:
    """Texts -> a (batch, max_length) int32 array of ids, by the rules in ``prep``."""
    index = vocabulary_index(prep["vocabulary"])
    split = words if prep["tokens"] == "words" else list
    return np.stack([encode_tokens(split(t.lower() if prep.get("lower") else t), index, prep["max_length"])
                     for t in texts]) if texts else np.zeros((0, prep["max_length"]), np.int32)


def decode_ids(ids: Sequence[int], vocabulary: Sequence[str], joiner: str = "") -> str:
    """Target ids -> text, stopping at END and skipping PAD/START."""
    out = []
    for i in ids:
        i = int(i)
        if i == END:
            break
        if i > END and i < len(vocabulary):
            out.append(vocabulary[i])
    return joiner.join(out)


# -- runtimes --------------------------------------------------------------------------

class OnnxBackend:
    """onnxruntime on the CPU. Called with {input name: batch}, returns the first output."""

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


# -- the predictor ---------------------------------------------------------------------

class Predictor:
    """Task-aware prediction over one backend per model part.

    A part is a callable {input name: batch} -> output batch. Most models have one part,
    ``model``; sequence-to-sequence models have ``encoder`` and ``decoder`` (one step).
    :meth:`outputs` maps preprocessed inputs to the task's raw outputs (probabilities,
    scaled changes, decoded ids); :meth:`predict` takes user inputs and gives answers.
    """

    def __init__(self, backends: dict[str, Backend], metadata: dict[str, Any]):
        self.backends = backends
        self.metadata = metadata
        self.task = metadata["task"]
        self.prep = metadata["preprocessing"]
        self.parts = metadata.get("parts") or {"model": {"inputs": metadata["inputs"]}}

    def call(self, part: str, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """One part on named inputs, each cast to the dtype the model declares."""
        dtypes = {i["name"]: i.get("dtype", "float32") for i in self.parts[part]["inputs"]}
        return self.backends[part]({n: np.ascontiguousarray(v, dtype=dtypes.get(n, "float32")) for n, v in inputs.items()})

    def run(self, x: Any) -> np.ndarray:
        """One batch through a single-part model (an array for one input, a dict for several)."""
        names = [i["name"] for i in self.parts["model"]["inputs"]]
        return self.call("model", x if isinstance(x, dict) else {names[0]: x})

    def outputs(self, x: Any) -> np.ndarray:
        """Preprocessed inputs -> the task's raw outputs (what verification compares)."""
        if self.task == "sequence-to-sequence":
            source = x["source"] if isinstance(x, dict) else x
            return self.decode(source)
        return self.run(x)

    def decode(self, source: np.ndarray) -> np.ndarray:
        """Greedy decoding of a batch of source ids -> (batch, target_length) target ids.

        The encoder turns the source into the decoder's state; then each step feeds the
        last token (START first) and the state, and takes the likeliest next token, until
        every sequence has produced END or the maximum length is reached.
        """
        p = self.prep
        size = len(p["target_vocabulary"])
        state = self.call("encoder", {"source": source})
        token = np.full((len(source), 1), START, dtype=np.int32)
        out = np.full((len(source), p["target_length"]), PAD, dtype=np.int32)
        done = np.zeros(len(source), dtype=bool)
        for t in range(p["target_length"]):
            step = self.call("decoder", {"token": token, "state": state})
            probs, state = step[:, :size], step[:, size:]
            token = probs.argmax(axis=-1).astype(np.int32)[:, None]
            out[:, t] = np.where(done, PAD, token[:, 0])
            done |= token[:, 0] == END
            if done.all():
                break
        return out

    def beam_decode(self, source: np.ndarray, width: int) -> np.ndarray:
        """Beam search, one source at a time -> (batch, target_length) target ids.

        Keeps the ``width`` likeliest partial targets (summed log probabilities) at each
        step; a hypothesis that produces END is set aside; the search ends when ``width``
        have finished or the maximum length is reached. The winner has the best average
        log probability per token, so short outputs are not favoured. Width 1 is greedy.
        """
        p = self.prep
        size, length = len(p["target_vocabulary"]), p["target_length"]
        out = np.full((len(source), length), PAD, dtype=np.int32)
        for row in range(len(source)):
            state = self.call("encoder", {"source": source[row:row + 1]})
            live: list[tuple[list[int], float, np.ndarray]] = [([], 0.0, state)]
            finished: list[tuple[list[int], float, np.ndarray]] = []
            for _ in range(length):
                tokens = np.array([[h[0][-1] if h[0] else START] for h in live], dtype=np.int32)
                step = self.call("decoder", {"token": tokens, "state": np.concatenate([h[2] for h in live])})
                logp = np.log(np.maximum(step[:, :size], 1e-12))
                candidates = [(h[0] + [int(t)], h[1] + float(logp[i, t]), step[i:i + 1, size:])
                              for i, h in enumerate(live) for t in np.argsort(logp[i])[-width:]]
                candidates.sort(key=lambda c: c[1], reverse=True)
                live = []
                for c in candidates:
                    (finished if c[0][-1] == END else live).append(c)
                    if len(live) == width:
                        break
                if len(finished) >= width or not live:
                    break
            best = max(finished + live, key=lambda h: h[1] / len(h[0]))[0]
            out[row, :len(best)] = best
        return out

    def predict(self, inputs: Sequence[Any], steps: int = 1, length: int = 200, temperature: float = 1.0,
                seed: int | None = None, beam: int = 1) -> list[dict[str, Any]]:
        if self.task == "image-classification":
            return self.classify_images(inputs)
        if self.task == "sequence-forecasting":
            return [self.forecast(inputs, steps)]
        if self.task == "text-classification":
            return self.classify_texts([str(t) for t in inputs])
        if self.task == "sequence-to-sequence":
            return self.translate([str(t) for t in inputs], beam)
        if self.task == "text-generation":
            return [self.generate(" ".join(str(t) for t in inputs), length, temperature, seed)]
        raise InferenceError(f"prediction for the task {self.task!r} is not supported by this module version")

    def _labelled(self, inputs: Sequence[Any], probs: np.ndarray) -> list[dict[str, Any]]:
        names = self.prep["class_names"]
        return [{"input": str(item), "label": names[int(row.argmax())], "confidence": float(row.max()),
                 "probabilities": {n: float(v) for n, v in zip(names, row)}} for item, row in zip(inputs, probs)]

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
        return self._labelled(paths, self.run(np.stack(images)))

    def classify_texts(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        if not texts or not any(t.strip() for t in texts):
            raise InferenceError("give the text to classify")
        return self._labelled(texts, self.run(encode_text(texts, self.prep)))

    def translate(self, sources: Sequence[str], beam: int = 1) -> list[dict[str, Any]]:
        """Source texts -> decoded targets: greedy (``beam`` 1) or beam search."""
        if not sources or not any(s.strip() for s in sources):
            raise InferenceError("give the source sequence(s) to decode")
        if beam < 1:
            raise InferenceError("the beam width must be at least 1")
        p = self.prep
        source_prep = {"vocabulary": p["source_vocabulary"], "tokens": "chars", "max_length": p["source_length"],
                       "lower": p.get("lower", False)}
        encoded = encode_text(sources, source_prep)
        ids = self.decode(encoded) if beam == 1 else self.beam_decode(encoded, beam)
        return [{"input": s, "output": decode_ids(row, p["target_vocabulary"])} for s, row in zip(sources, ids)]

    def generate(self, seed_text: str, length: int = 200, temperature: float = 1.0, seed: int | None = None) -> dict[str, Any]:
        """Continue ``seed_text`` by ``length`` characters, sampling each from the model's
        distribution sharpened (temperature < 1) or flattened (> 1); 0 = always the likeliest."""
        p = self.prep
        window, vocabulary = p["window"], p["vocabulary"]
        if temperature < 0:
            raise InferenceError("temperature must be 0 (greedy) or positive")
        index = vocabulary_index(vocabulary)
        pad = index.get(" ", PAD)  # a short seed is padded with spaces, as a fresh line looks
        ids = [pad] * window + [index.get(c, UNKNOWN) for c in seed_text]
        rng = np.random.default_rng(seed)
        produced = []
        for _ in range(length):
            probs = self.run(np.array([ids[-window:]], dtype=np.int32))[0].astype(np.float64)
            probs[:UNKNOWN + 1] = 0.0  # never emit padding or the unknown marker
            if temperature == 0:
                nxt = int(probs.argmax())
            else:
                logits = np.log(np.maximum(probs, 1e-12)) / temperature
                weights = np.exp(logits - logits.max())
                nxt = int(rng.choice(len(weights), p=weights / weights.sum()))
            ids.append(nxt)
            produced.append(vocabulary[nxt])
        return {"input": seed_text, "output": "".join(produced), "temperature": temperature}

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
    """Load an exported ``.onnx`` or ``.tflite`` file (and its sibling parts) with its metadata."""
    path = Path(path)
    if not path.is_file():
        raise InferenceError(f"model file not found: {path}")
    backend = _backend(path)
    if not backend.metadata:
        raise InferenceError(f"{path.name} has no dlterm metadata; export it with `dlterm export`")
    meta = backend.metadata
    parts = meta.get("parts")
    if not parts:
        return Predictor({"model": backend}, meta)
    backends = {}
    for name, part in parts.items():
        sibling = path.with_name(part["file"])
        if name == meta.get("part"):
            backends[name] = backend
        elif not sibling.is_file():
            raise InferenceError(f"{path.name} needs its {name} part {sibling.name} beside it")
        else:
            backends[name] = _backend(sibling)
    return Predictor(backends, meta)


def _backend(path: Path) -> Any:
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        return OnnxBackend(path)
    if suffix == ".tflite":
        return TfliteBackend(path)
    raise InferenceError(f"{path.name}: expected a .onnx or .tflite file")
