"""Sequence to sequence: a source sequence in, a target sequence out (greedy decoding).

Evaluated on the decoded test targets: exact matches and character accuracy, next to a
baseline that writes each position's most common training character, with examples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dlterm.settings import Int
from dlterm.tasks.base import SampleInput, Task

if TYPE_CHECKING:
    import numpy as np

EXAMPLES = 8


def seq2seq_metrics(y_test: np.ndarray, decoded: np.ndarray, y_train: np.ndarray, prep: dict[str, Any],
                    pairs: list[tuple[str, str]]) -> dict[str, Any]:
    import numpy as np

    from dlterm.metrics import char_accuracy, exact_match
    from dlterm_edge.preprocess import END, decode_ids

    # Baseline: each position's most common training character (no look at the source).
    majority = np.array([np.bincount(col, minlength=len(prep["target_vocabulary"])).argmax() for col in y_train.T])
    baseline = np.tile(majority, (len(y_test), 1))
    outputs = [decode_ids(row, prep["target_vocabulary"]) for row in decoded[:EXAMPLES]]
    examples = [{"source": s, "target": t, "output": out, "correct": out == t} for (s, t), out in zip(pairs, outputs)]
    return {"metrics": {"exact_match": exact_match(y_test, decoded), "char_accuracy": char_accuracy(y_test, decoded),
                        "baseline_char_accuracy": char_accuracy(y_test, baseline)},
            "examples": examples, "end_token": END}


@dataclass(frozen=True)
class SequenceToSequenceTask(Task):
    def evaluate(self, bundle: Any, outputs: np.ndarray, predictor: Any, worst: int = 0) -> dict[str, Any]:
        result = seq2seq_metrics(bundle.y_test, outputs, bundle.y_train, bundle.preprocessing, bundle.extra["test_pairs"])
        result["baselines"] = [{"name": "positional_majority", "description": "each position's most common training character",
                                "metrics": {"char_accuracy": result["metrics"]["baseline_char_accuracy"]}}]
        return {**result, **self.headline_fields()}

    def headline_metric(self, bundle: Any, outputs: np.ndarray, y: np.ndarray) -> float:
        from dlterm.metrics import char_accuracy

        return char_accuracy(y, outputs)

    def verification_inputs(self, bundle: Any, x: Any, n: int, input_names: list[str]) -> dict[str, np.ndarray]:
        import numpy as np

        return {"source": np.asarray(x["source"])}  # what the encoder reads; the decoder feeds itself

    def sample_inputs(self, bundle: Any, prep: dict[str, Any], n: int) -> list[SampleInput]:
        pairs = bundle.extra.get("test_pairs") or []
        return [SampleInput(f"text-{i:02d}.txt", source.encode("utf-8"), target)
                for i, (source, target) in enumerate(pairs[:n])]


TASK = SequenceToSequenceTask("sequence-to-sequence", "a source sequence in, a target sequence out",
                              loss="sparse_categorical_crossentropy", metrics=("accuracy",),
                              monitor="val_accuracy", mode="max", headline="char_accuracy",
                              higher_is_better=True, text_input=True,
                              predict_options=(Int("beam", 1, min=1, max=64, help="beam width (1 = greedy decoding)"),),
                              notes=(
    ("accuracy", "teacher-forced: each character given the true ones before it"),
    ("exact_match", "decoded: whole targets right, the model reading its own output"),
    ("char_accuracy", "decoded: characters right, the model reading its own output"),
    ("baseline_char_accuracy", "no model: each position's most common character")))
