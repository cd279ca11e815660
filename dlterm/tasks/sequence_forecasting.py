"""Sequence forecasting: a window of past values in, the next value out.

Models learn the scaled change to the next step (see :mod:`dlterm.datasets.series`);
errors are reported in the series' original units next to the baselines a useful model
must beat: naive, seasonal naive and a linear model on the same window
(:mod:`dlterm.tasks.forecast_baselines`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dlterm.tasks.base import Task

if TYPE_CHECKING:
    import numpy as np


def forecast_metrics(y_true: np.ndarray, y_pred: np.ndarray, last: np.ndarray, prep: dict[str, Any]) -> dict[str, Any]:
    """Errors in original units; ``last`` is each window's last observed target value."""
    import numpy as np

    from dlterm_edge.preprocess import to_units

    truth = to_units(y_true, last, prep)
    pred = to_units(y_pred, last, prep)
    naive = np.asarray(last, dtype=np.float64)

    def mae(a, b):
        return float(np.mean(np.abs(a - b)))

    def rmse(a, b):
        return float(np.sqrt(np.mean((a - b) ** 2)))

    return {"metrics": {"mae": mae(truth, pred), "rmse": rmse(truth, pred),
                        "naive_mae": mae(truth, naive), "naive_rmse": rmse(truth, naive),
                        "rmse_vs_naive": rmse(truth, pred) / (rmse(truth, naive) or 1.0)},
            "units": prep.get("target")}


@dataclass(frozen=True)
class ForecastingTask(Task):
    def evaluate(self, bundle: Any, outputs: np.ndarray, predictor: Any, worst: int = 0) -> dict[str, Any]:
        from dlterm.tasks.forecast_baselines import forecast_baselines
        from dlterm_edge.preprocess import to_units

        result = forecast_metrics(bundle.y_test, outputs, bundle.extra["last_test"], bundle.preprocessing)
        truth = to_units(bundle.y_test, bundle.extra["last_test"], bundle.preprocessing)
        result["baselines"], notes = forecast_baselines(bundle, truth)
        if notes:
            result["notes"] = notes
        return {**result, **self.headline_fields()}

    def headline_metric(self, bundle: Any, outputs: np.ndarray, y: np.ndarray) -> float:
        import numpy as np

        from dlterm_edge.preprocess import to_units

        last, prep = bundle.extra["last_test"][: len(y)], bundle.preprocessing
        return float(np.sqrt(np.mean((to_units(outputs, last, prep) - to_units(y, last, prep)) ** 2)))


TASK = ForecastingTask("sequence-forecasting", "a window of past values in, the next value out",
                       loss="mse", metrics=("mae",), monitor="val_loss", mode="min",
                       headline="rmse", higher_is_better=False)
