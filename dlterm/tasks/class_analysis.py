"""Where a classifier goes wrong, and what a linear model does on the same inputs.

Accuracy alone hides a class the model never gets right, and says nothing about whether a
network was needed at all. This module gives, on the test split: per-class precision,
recall, F1 and support; the most-confused pairs; the most confidently wrong examples (with
their file name or text when the dataset keeps them); and two baselines trained on the
same training split: the majority class, and a logistic regression on the pixels or on a
TF-IDF bag of the model's own tokens. Metrics come from scikit-learn, imported inside the
functions (listing tasks stays instant). Not a task module (no ``TASK``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    import numpy as np

CONFUSED_PAIRS = 5
MAX_SOURCE_CHARS = 300  # a worst example's text is cut here (reviews can be long)
MAX_LINEAR_TRAIN = 5000  # the linear baseline's training rows: a seeded subsample of bigger splits
MAX_LINEAR_VALUES = 20_000_000  # ...and at most this many pixel values (80 MB): fewer rows for big images
MAX_ITERATIONS = 200


def per_class(y_true: np.ndarray, pred: np.ndarray, class_names: Sequence[str]) -> list[dict[str, Any]]:
    """``{"label", "precision", "recall", "f1", "support"}`` for every class (0 where undefined)."""
    from sklearn.metrics import precision_recall_fscore_support

    p, r, f, s = precision_recall_fscore_support(y_true, pred, labels=list(range(len(class_names))), zero_division=0)
    return [{"label": name, "precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
            for i, name in enumerate(class_names)]


def confused_pairs(matrix: Sequence[Sequence[int]], class_names: Sequence[str], top: int = CONFUSED_PAIRS) -> list[dict[str, Any]]:
    """The ``top`` largest off-diagonal cells, ``{"true", "predicted", "count"}``, most first
    (ties in matrix order)."""
    cells = [(int(count), i, j) for i, row in enumerate(matrix) for j, count in enumerate(row) if i != j and count]
    cells.sort(key=lambda c: (-c[0], c[1], c[2]))
    return [{"true": class_names[i], "predicted": class_names[j], "count": c} for c, i, j in cells[:top]]


def worst_examples(y_true: np.ndarray, probs: np.ndarray, class_names: Sequence[str], n: int,
                   sources: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The ``n`` wrong predictions made with the highest confidence, most confident first:
    ``{"index", "label", "predicted", "confidence", "source"}`` (``source``: the file name
    or text of test row ``index``, None when the dataset keeps neither)."""
    import numpy as np

    pred = probs.argmax(axis=-1)
    confidence = probs[np.arange(len(pred)), pred]
    wrong = np.flatnonzero(pred != y_true)
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][: max(0, n)]
    out = []
    for i in order:
        source = None
        if sources is not None and i < len(sources):
            text = str(sources[i])
            source = text if len(text) <= MAX_SOURCE_CHARS else text[: MAX_SOURCE_CHARS - 1] + "…"
        out.append({"index": int(i), "label": class_names[int(y_true[i])], "predicted": class_names[int(pred[i])],
                    "confidence": float(confidence[i]), "source": source})
    return out


def scores(y_true: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Accuracy and macro-averaged F1 (every class weighs the same)."""
    from sklearn.metrics import accuracy_score, f1_score

    return {"accuracy": float(accuracy_score(y_true, pred)), "macro_f1": float(f1_score(y_true, pred, average="macro", zero_division=0))}


def bag_of_words(ids: np.ndarray, vocabulary_size: int) -> Any:
    """Token-id rows -> a sparse count matrix (id 0, padding, never counted)."""
    import numpy as np
    from scipy.sparse import csr_matrix

    ids = np.asarray(ids, dtype=np.int64)
    rows, cols = np.nonzero(ids)
    tokens = ids[rows, cols]
    keep = tokens < vocabulary_size
    return csr_matrix((np.ones(int(keep.sum())), (rows[keep], tokens[keep])), shape=(len(ids), vocabulary_size))


def majority_baseline(y_train: np.ndarray, y_test: np.ndarray) -> dict[str, Any]:
    import numpy as np

    majority = int(np.bincount(np.asarray(y_train, dtype=np.int64)).argmax())
    return {"name": "majority", "description": "always the most common training class",
            "metrics": scores(y_test, np.full(len(y_test), majority))}


def linear_baseline(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
                    tokens: bool, vocabulary_size: int = 0) -> dict[str, Any] | None:
    """A logistic regression on the model's own inputs: pixels (scaled as the model sees
    them) or, for ``tokens``, TF-IDF of the token ids. Trained on at most
    :data:`MAX_LINEAR_TRAIN` training rows and :data:`MAX_LINEAR_VALUES` pixel values (a
    seeded subsample, said in the description).
    None when the training rows hold a single class."""
    import warnings

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    rows = np.arange(len(y_train))
    features = 1 if tokens else int(np.prod(np.shape(x_train)[1:]))
    limit = min(MAX_LINEAR_TRAIN, max(100, MAX_LINEAR_VALUES // max(1, features)))
    if len(rows) > limit:
        rows = np.sort(np.random.default_rng(0).choice(rows, limit, replace=False))
    y = np.asarray(y_train)[rows]
    if len(np.unique(y)) < 2:
        return None
    if tokens:
        from sklearn.feature_extraction.text import TfidfTransformer

        size = max(vocabulary_size, int(np.max(x_train, initial=0)) + 1, int(np.max(x_test, initial=0)) + 1)
        tfidf = TfidfTransformer(sublinear_tf=True).fit(bag_of_words(x_train[rows], size))
        train, test = tfidf.transform(bag_of_words(x_train[rows], size)), tfidf.transform(bag_of_words(x_test, size))
        name, what = "tfidf_logistic", "logistic regression on TF-IDF of the model's tokens"
    else:
        train = np.asarray(x_train[rows], dtype=np.float32).reshape(len(rows), -1)
        test = np.asarray(x_test, dtype=np.float32).reshape(len(x_test), -1)
        name, what = "pixel_logistic", "logistic regression on the pixels"
    # One BLAS thread: on small matrices more threads only fight (20 s instead of 0.2 s on
    # a busy 2-core machine). Capped iterations: a baseline, not a tuned model.
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(max_iter=MAX_ITERATIONS).fit(train, y)
    if len(rows) < len(y_train):
        what += f" (trained on {len(rows)} of {len(y_train)} training samples)"
    return {"name": name, "description": what, "metrics": scores(y_test, model.predict(test))}
