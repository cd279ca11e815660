"""The task object: what every task must say, with the defaults most tasks share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dlterm.errors import DltermError
from dlterm.settings import HyperParameter

# The training options (dlterm.training_options) that only augmentable tasks take.
AUGMENTATION_OPTIONS = frozenset({"augment", "rotation", "shift", "flip", "zoom", "shear"})

if TYPE_CHECKING:  # numpy only at run time: listing tasks (and plugins) stays instant
    import numpy as np


@dataclass(frozen=True)
class SampleInput:
    """One test example as a user hands it to ``predict``: a small file and its true answer."""

    file: str  # a file name (no folders)
    content: bytes
    truth: Any  # the label, value or text the model should give (None when there is none)


@dataclass(frozen=True)
class PluginSkeleton:
    """What ``dlterm new-plugin`` writes for a task: a small working model to start from."""

    dataset: str  # the offline default dataset the new plugin trains on
    description: str
    body: str  # the body of ``build(spec, hp)``, indented four spaces; defines inputs and outputs
    extra_hyperparameters: str = ""  # declarations beyond units and dropout, one per line


@dataclass(frozen=True)
class Task:
    """One kind of problem a model solves.

    Training reads ``loss``, ``metrics`` (Keras names) and the default ``monitor``/``mode``
    that pick the best epoch. Evaluation calls :meth:`evaluate`; export verification and the
    benchmark compare runtimes on :meth:`headline_metric` (named ``headline``).
    """

    name: str
    summary: str  # one line: what goes in, what comes out
    loss: str
    metrics: tuple[str, ...]
    monitor: str  # default for early stopping and the best checkpoint
    mode: str  # "max" or "min"
    headline: str  # the metric an export is judged by
    higher_is_better: bool
    augmentable: bool = False  # image augmentation applies
    text_input: bool = False  # a prediction input is one text, not a list of items
    image_input: bool = False  # a prediction input is an image file
    # Options of `dlterm predict` for this task (steps ahead, beam width...), as the
    # dashboard's fields; the same names and limits as the CLI's options.
    predict_options: tuple[HyperParameter, ...] = ()
    skeleton: PluginSkeleton | None = None  # None: `dlterm new-plugin` has no template for it

    # (metric, what it means for this task) where the name alone misleads; shown beside the number
    notes: tuple[tuple[str, str], ...] = ()

    def monitor_for(self, requested: str) -> tuple[str, str]:
        """(metric name, mode) for the user's ``monitor`` option ('auto' = the task's own)."""
        if requested == "auto":
            return self.monitor, self.mode
        available = {"loss", "val_loss"} | set(self.metrics) | {f"val_{m}" for m in self.metrics}
        if requested not in available:
            raise DltermError(f"monitor {requested!r} is not recorded for {self.name}",
                              f"choose one of: {', '.join(sorted(available))}")
        mode = "min" if requested.endswith(("loss", "mae")) else "max"
        return requested, mode

    def evaluate(self, bundle: Any, outputs: np.ndarray, predictor: Any, worst: int = 0) -> dict[str, Any]:
        """Test-split metrics (and baselines, examples) from the model's raw outputs.

        The result's shared fields (read by every front end and report): ``metrics``
        (name -> number), ``baselines`` (list of ``{"name", "description", "metrics"}``
        on the same split, the model's headline among the metrics), ``headline`` and
        ``higher_is_better`` (:meth:`headline_fields`), optionally ``notes``. Tasks
        that can (classifiers) list the ``worst`` most confidently wrong examples."""
        raise NotImplementedError

    def headline_fields(self) -> dict[str, Any]:
        """What an evaluation needs to say whether a baseline beats the model."""
        return {"headline": self.headline, "higher_is_better": self.higher_is_better}

    def headline_metric(self, bundle: Any, outputs: np.ndarray, y: np.ndarray) -> float:
        """The headline metric of ``outputs`` against targets ``y`` (rows of the test split)."""
        raise NotImplementedError

    def compare(self, bundle: Any, keras_out: np.ndarray, export_out: np.ndarray, y: np.ndarray) -> tuple[str, float, float]:
        """(headline name, Keras value, export value) on the same test rows."""
        return self.headline, self.headline_metric(bundle, keras_out, y), self.headline_metric(bundle, export_out, y)

    def verification_inputs(self, bundle: Any, x: Any, n: int, input_names: list[str]) -> dict[str, np.ndarray]:
        """The first ``n`` test rows ``x`` as named arrays, as an exported file takes them, plus
        whatever else judging its outputs needs (see :func:`dlterm.bundle.test_sample`)."""
        import numpy as np

        return {k: np.asarray(v) for k, v in x.items()} if isinstance(x, dict) else {input_names[0]: np.asarray(x)}

    def sample_inputs(self, bundle: Any, prep: dict[str, Any], n: int) -> list[SampleInput]:
        """Up to ``n`` test examples as files a user could pass to ``predict`` (none by default:
        a dataset that keeps no raw examples, such as Keras's IMDB token ids)."""
        return []

    def sample_predict_options(self) -> dict[str, Any]:
        """Options that make ``predict`` on :meth:`sample_inputs` give the same answer every time."""
        return {}

    def metric_note(self, name: str) -> str:
        """What metric ``name`` (``val_`` prefixed too) means for this task, or ""."""
        notes = dict(self.notes)
        if name in notes:
            return notes[name]
        base = name.removeprefix("val_")
        return f"{notes[base]}; validation split" if base != name and base in notes else ""

    def option_applies(self, option: str) -> bool:
        """Whether training option ``option`` means something for this task: image
        augmentation only where the task says it is ``augmentable``."""
        return self.augmentable or option not in AUGMENTATION_OPTIONS

    def datasets(self) -> list[Any]:
        """The registered datasets that serve this task."""
        from dlterm.datasets import DATASETS

        return [d for d in DATASETS.values() if d.task == self.name]

    def file_dataset(self, path: str) -> str:
        """The dataset that reads a user's ``--data`` path for this task."""
        import os
        from pathlib import Path

        p = Path(path).expanduser()
        if not os.path.lexists(p):  # never raises (a name too long is "not found"); a symlink loop goes on to its loader
            raise DltermError(f"--data path not found: {p}", "check the path")
        for info in self.datasets():
            if info.needs_path:
                return info.name
        raise DltermError(f"no dataset reads files for {self.name}", "name one with --dataset (see `dlterm datasets`)")

    def worse(self, before: float, after: float) -> bool:
        """Whether a quantized export lost too much: 1 point of a rate, or 10% of an error."""
        if self.higher_is_better:
            return before - after > 0.01
        return after > 1.1 * before

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "summary": self.summary, "loss": self.loss, "metrics": list(self.metrics),
                "monitor": self.monitor, "headline": self.headline}
