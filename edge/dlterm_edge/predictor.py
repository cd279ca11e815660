"""The task-aware Predictor: classify, forecast, decode (greedy or beam), generate.

It runs over one backend per model part (ONNX, LiteRT, or dlterm's Keras models during
training-side evaluation), so every path gives answers in the same form.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from dlterm_edge.errors import InferenceError
from dlterm_edge.limits import ImageRefused
from dlterm_edge.preprocess import (
    END,
    PAD,
    START,
    UNKNOWN,
    decode_ids,
    encode_text,
    load_image,
    relative_windows,
    to_units,
    vocabulary_index,
)

Backend = Callable[[dict[str, np.ndarray]], np.ndarray]


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
            except ImageRefused as e:  # a FIFO, a device, too many bytes or pixels: never decoded
                raise InferenceError(str(e)) from None
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


def load_file(path: str | Path, fallback_metadata: dict[str, Any] | None = None) -> Predictor:
    """Load an exported ``.onnx`` or ``.tflite`` file (and its sibling parts) with its
    metadata: the file's own, else ``fallback_metadata`` (a bundle's metadata.json)."""
    from dlterm_edge.runtimes import backend_for

    path = Path(path)
    if not path.is_file():
        raise InferenceError(f"model file not found: {path}")
    backend = backend_for(path)
    meta = backend.metadata or fallback_metadata
    if not meta:
        from dlterm_edge.metadata import no_metadata_message

        raise InferenceError(no_metadata_message(path))
    parts = meta.get("parts")
    if not parts:
        return Predictor({"model": backend}, meta)
    backends = {}
    for name, part in parts.items():
        if not part.get("file"):
            raise InferenceError(f"{path.name} does not name the file of its {name} part; load the bundle folder instead")
        sibling = path.with_name(part["file"])
        if sibling.name == path.name or name == meta.get("part"):
            backends[name] = backend
        elif not sibling.is_file():
            raise InferenceError(f"{path.name} needs its {name} part {sibling.name} beside it")
        else:
            backends[name] = backend_for(sibling)
    return Predictor(backends, meta)


def describe(result: dict[str, Any], strong: Callable[[str], str] = lambda text: text, arrow: str = "->") -> str:
    """One prediction as a line for people: the answer passed through ``strong`` (dlterm's
    views make it bold), an input and its output joined by ``arrow``."""
    if "label" in result:
        # A long text is shortened; an image path is kept whole (its end names the file).
        long_text = len(result["input"]) > 60 and not os.path.isfile(result["input"])  # isfile never raises
        text = result["input"][:57] + "..." if long_text else result["input"]
        return f"{text}: {strong(result['label'])} ({result['confidence']:.1%})"
    if "forecast" in result:
        return f"next {result['target']} (after {result['last']:.6g}): {strong(', '.join(f'{v:.6g}' for v in result['forecast']))}"
    if "temperature" in result:
        return f"{result['input']}{strong(result['output'])}"
    return f"{result['input']} {arrow} {strong(result['output'])}"
