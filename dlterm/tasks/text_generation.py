"""Text generation: a window of characters in, the next character out.

Evaluated in bits per character on the test text, next to the unigram baseline
(character frequencies alone), with a generated sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dlterm.settings import Float, Int
from dlterm.tasks.base import PluginSkeleton, SampleInput, Task

if TYPE_CHECKING:
    import numpy as np


def generation_metrics(y_test: np.ndarray, probs: np.ndarray, prep: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    from dlterm.metrics import bits_per_char

    bpc = bits_per_char(y_test, probs)
    unigram = np.asarray(prep["unigram"], dtype=np.float64)
    baseline = bits_per_char(y_test, np.tile(unigram, (len(y_test), 1)))
    return {"metrics": {"loss_nats": bpc * math.log(2), "bits_per_char": bpc, "perplexity": float(2 ** bpc),
                        "unigram_bits_per_char": baseline}}


@dataclass(frozen=True)
class TextGenerationTask(Task):
    def evaluate(self, bundle: Any, outputs: np.ndarray, predictor: Any, worst: int = 0) -> dict[str, Any]:
        result = {**generation_metrics(bundle.y_test, outputs, bundle.preprocessing), **self.headline_fields()}
        result["baselines"] = [{"name": "unigram", "description": "character frequencies alone",
                                "metrics": {"bits_per_char": result["metrics"]["unigram_bits_per_char"]}}]
        seed = bundle.extra["seed_text"]
        result["sample"] = {"seed": seed, "temperature": 0.8,
                            "text": predictor.generate(seed, length=300, temperature=0.8, seed=0)["output"]}
        return result

    def headline_metric(self, bundle: Any, outputs: np.ndarray, y: np.ndarray) -> float:
        from dlterm.metrics import bits_per_char

        return bits_per_char(y, outputs)

    def sample_inputs(self, bundle: Any, prep: dict[str, Any], n: int) -> list[SampleInput]:
        seed = bundle.extra.get("seed_text")
        return [SampleInput("text-00.txt", seed.encode("utf-8"), None)] if seed else []

    def sample_predict_options(self) -> dict[str, Any]:
        return {"length": 100, "temperature": 0.0}  # greedy: the same text on every run


# What `dlterm new-plugin --task text-generation` writes into build().
SKELETON = PluginSkeleton("pydoc", "One LSTM over character windows for text generation.", '''\
    # Inputs are windows of character ids; the output is the next character's distribution.
    inputs = keras.Input(shape=spec.input_shape, dtype="int32", name=spec.inputs[0].name)
    x = layers.Embedding(spec.extra["vocabulary_size"], 32)(inputs)
    x = layers.LSTM(hp["units"])(x)
    x = layers.Dropout(hp["dropout"])(x)
    outputs = layers.Dense(spec.output_shape[0], activation="softmax")(x)''')


TASK = TextGenerationTask("text-generation", "a window of characters in, the next character out",
                          loss="sparse_categorical_crossentropy", metrics=("accuracy",),
                          monitor="val_loss", mode="min", headline="bits_per_char",
                          higher_is_better=False, text_input=True, skeleton=SKELETON, predict_options=(
                              Int("length", 200, min=1, max=100_000, help="characters to generate"),
                              Float("temperature", 1.0, min=0.0, max=10.0, help="<1 safer, >1 wilder, 0 greedy")),
                          notes=(
    ("accuracy", "next character right, given the true text before it"),
    ("unigram_bits_per_char", "no model: characters by their frequency alone")))
