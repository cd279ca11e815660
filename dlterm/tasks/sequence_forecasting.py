"""Sequence forecasting: a window of past values in, the next value out.

Models learn the scaled change to the next step (see :mod:`dlterm.datasets.series`);
errors are reported in the series' original units next to the baselines a useful model
must beat: naive, seasonal naive and a linear model on the same window
(:mod:`dlterm.tasks.forecast_baselines`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dlterm.settings import Int
from dlterm.tasks.base import PluginSkeleton, SampleInput, Task

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


def forecast_series(y_true: np.ndarray, y_pred: np.ndarray, last: np.ndarray, prep: dict[str, Any],
                    limit: int = 1000) -> dict[str, list[float]]:
    """The test split's actual and forecast values in original units (the last ``limit``
    steps), kept in evaluation.json for the report's forecast-against-actual plot."""
    from dlterm_edge.preprocess import to_units

    truth, pred = to_units(y_true, last, prep), to_units(y_pred, last, prep)
    return {"actual": [float(v) for v in truth.reshape(-1)[-limit:]],
            "predicted": [float(v) for v in pred.reshape(-1)[-limit:]]}


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
        result["forecast"] = forecast_series(bundle.y_test, outputs, bundle.extra["last_test"], bundle.preprocessing)
        return {**result, **self.headline_fields()}

    def headline_metric(self, bundle: Any, outputs: np.ndarray, y: np.ndarray) -> float:
        import numpy as np

        from dlterm_edge.preprocess import to_units

        last, prep = bundle.extra["last_test"][: len(y)], bundle.preprocessing
        return float(np.sqrt(np.mean((to_units(outputs, last, prep) - to_units(y, last, prep)) ** 2)))

    def verification_inputs(self, bundle: Any, x: Any, n: int, input_names: list[str]) -> dict[str, np.ndarray]:
        import numpy as np

        arrays = super().verification_inputs(bundle, x, n, input_names)
        arrays["last"] = np.asarray(bundle.extra["last_test"][:n], dtype=np.float64)  # RMSE in original units needs it
        return arrays

    def sample_inputs(self, bundle: Any, prep: dict[str, Any], n: int) -> list[SampleInput]:
        """The first test window as a CSV in original units, with the value that followed it."""
        import numpy as np

        if not len(bundle.y_test):
            return []
        window = np.asarray(bundle.x_test[0], dtype=np.float64) * np.asarray(prep["scale"]) + bundle.extra["last_rows_test"][0]
        lines = [",".join(prep["columns"])] + [",".join(repr(float(v)) for v in row) for row in window]
        truth = float(bundle.extra["last_test"][0] + float(bundle.y_test[0][0]) * prep["scale"][0])
        return [SampleInput("series.csv", ("\n".join(lines) + "\n").encode("utf-8"), truth)]


# What `dlterm new-plugin --task sequence-forecasting` writes into build().
SKELETON = PluginSkeleton("seasonal", "A small dense network for sequence forecasting.", '''\
    inputs = keras.Input(shape=spec.input_shape, name=spec.inputs[0].name)
    x = layers.Flatten()(inputs)
    x = layers.Dense(hp["units"], activation="relu")(x)
    x = layers.Dropout(hp["dropout"])(x)
    outputs = layers.Dense(spec.output_shape[0])(x)''')


TASK = ForecastingTask("sequence-forecasting", "a window of past values in, the next value out",
                       loss="mse", metrics=("mae",), monitor="val_loss", mode="min",
                       headline="rmse", higher_is_better=False, skeleton=SKELETON,
                       predict_options=(Int("steps", 1, min=1, max=10_000, help="how many steps ahead"),), notes=(
    ("mae", "scaled changes while training; series units in evaluation"),
    ("naive_mae", "the naive forecast (next = last), series units"),
    ("naive_rmse", "the naive forecast (next = last), series units"),
    ("rmse_vs_naive", "rmse / naive_rmse: below 1 beats next = last")))
