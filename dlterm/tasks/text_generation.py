"""Text generation: a window of characters in, the next character out.

Evaluated in bits per character on the test text, next to the unigram baseline
(character frequencies alone), with a generated sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dlterm.tasks.base import Task

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


TASK = TextGenerationTask("text-generation", "a window of characters in, the next character out",
                          loss="sparse_categorical_crossentropy", metrics=("accuracy",),
                          monitor="val_loss", mode="min", headline="bits_per_char",
                          higher_is_better=False, text_input=True)
