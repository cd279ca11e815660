"""What a dataset hands to training: splits, the spec a builder needs, and preprocessing.

``preprocessing`` is plain JSON (never pickle): everything inference must redo on new
inputs, such as image size and scaling, or a series' window and min/max.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from dlterm.errors import DltermError
from dlterm.plugin_api import DataSpec
from dlterm.settings import HyperParameter, check_value


@dataclass
class DataBundle:
    name: str
    spec: DataSpec
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    preprocessing: dict[str, Any]
    notes: list[str] = field(default_factory=list)  # things the user should know (skipped files...)
    extra: dict[str, Any] = field(default_factory=dict)  # task-specific arrays for evaluation

    def __post_init__(self) -> None:
        from dlterm.datasets.recipe import complete

        self.preprocessing = complete(self.preprocessing)  # the fixed rules too, for other tools

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}


@dataclass(frozen=True)
class DatasetInfo:
    """A registry entry: metadata is cheap; ``loader`` ("module:function") is imported on use."""

    name: str
    title: str
    task: str
    description: str
    source: str  # generated | keras | file
    loader: str
    settings: tuple[HyperParameter, ...] = ()
    needs_path: bool = False
    sampler: str = ""  # "module:function" writing sample inputs for `dlterm predict` (dlterm.datasets.samples)

    def load_function(self) -> Callable[..., DataBundle]:
        import importlib

        module, _, func = self.loader.partition(":")
        return getattr(importlib.import_module(module), func)

    def resolve_settings(self, raw: dict[str, Any]) -> dict[str, Any]:
        specs = {s.name: s for s in self.settings}
        out = {name: spec.default for name, spec in specs.items()}
        for key, value in raw.items():
            if key not in specs:
                allowed = ", ".join(specs) or "none"
                raise DltermError(f"unknown setting {key!r} for dataset '{self.name}'", f"its settings: {allowed}")
            try:
                out[key] = check_value(specs[key], value)
            except ValueError as e:
                raise DltermError(f"invalid dataset setting {key}: {e}", f"allowed: {specs[key].describe_range()}") from None
        if self.needs_path and not out.get("path"):
            raise DltermError(f"dataset '{self.name}' needs a path", "pass --data PATH")
        return out


def split_indices(n: int, val_fraction: float, test_fraction: float, rng: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shuffled (rng given) or chronological (rng None) train/val/test index arrays."""
    order = rng.permutation(n) if rng is not None else np.arange(n)
    n_test = max(1, int(round(n * test_fraction)))
    n_val = max(1, int(round(n * val_fraction)))
    if n - n_test - n_val < 1:
        raise DltermError(f"only {n} samples: too few for train, validation and test splits", "use more data")
    return order[: n - n_val - n_test], order[n - n_val - n_test : n - n_test], order[n - n_test :]


def image_preprocessing(height: int, width: int, channels: int, class_names: list[str]) -> dict[str, Any]:
    return {"kind": "image", "height": height, "width": width, "channels": channels,
            "scale": 1 / 255.0, "class_names": list(class_names)}


def classification_spec(task: str, x: np.ndarray, class_names: list[str], input_name: str = "image") -> DataSpec:
    from dlterm.plugin_api import TensorSpec

    return DataSpec(task=task, inputs=(TensorSpec(input_name, tuple(x.shape[1:])),),
                    output_shape=(len(class_names),), class_names=tuple(class_names))
