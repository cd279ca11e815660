"""Text classification: token ids in, one class out (tokenisation happens outside the model)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dlterm.tasks.base import PluginSkeleton, SampleInput
from dlterm.tasks.classification import ClassificationTask


@dataclass(frozen=True)
class TextClassificationTask(ClassificationTask):
    def sample_inputs(self, bundle: Any, prep: dict[str, Any], n: int) -> list[SampleInput]:
        texts = bundle.extra.get("test_texts") or []  # Keras's IMDB keeps token ids only
        return [SampleInput(f"text-{i:02d}.txt", text.encode("utf-8"), prep["class_names"][int(label)])
                for i, (text, label) in enumerate(zip(texts[:n], bundle.y_test))]


# What `dlterm new-plugin --task text-classification` writes into build().
SKELETON = PluginSkeleton("phrases", "Averaged word embeddings and a dense layer for text classification.", '''\
    # Inputs are token ids. word_embedding sizes the layer from spec.extra (the run's
    # vocabulary) and, with embeddings=glove50, starts it from pretrained GloVe vectors.
    from dlterm.embeddings import word_embedding

    inputs = keras.Input(shape=spec.input_shape, dtype="int32", name=spec.inputs[0].name)
    x = word_embedding(spec, hp["embeddings"], hp["units"], hp["fine_tune_embeddings"])(inputs)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dense(hp["units"], activation="relu")(x)
    x = layers.Dropout(hp["dropout"])(x)
    outputs = layers.Dense(spec.num_classes, activation="softmax")(x)''',
    extra_hyperparameters=(
        '    Choice("embeddings", "none", ("none", "glove50"), '
        'help="word vectors to start from (glove50: pip install \'dlterm[glove]\')"),\n'
        '    Bool("fine_tune_embeddings", True, help="glove50: train the pretrained vectors too"),\n'))


TASK = TextClassificationTask("text-classification", "token ids in, one class out", text_input=True, skeleton=SKELETON)
