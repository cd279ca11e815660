"""Forecasting baselines a model must beat, on the model's own test split.

A forecaster is only useful if it beats what a line of arithmetic does. Three references:

* ``naive``: next = last.
* ``seasonal_naive``: next = last + the change one period earlier (last year's step,
  for monthly data). On a trending seasonal series this is what people mean by "the same
  as last year": the plain ``next = value one period ago`` misses the trend.
* ``linear_ar``: a least-squares linear model on the model's own window (the same scaled,
  last-relative inputs and training split as the network).

The period is declared (dataset setting ``period``) or detected from the training part of
the target alone (the highest autocorrelation peak of its first differences), so the test
split never chooses it. Not a task module (no ``TASK``); numpy and scikit-learn are
imported inside the functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

MIN_AUTOCORRELATION = 0.3  # a weaker peak is no season a baseline should rely on
MAX_PERIOD = 1000
MAX_FIT_ROWS = 50_000  # the linear fit sees at most this many training windows (the most recent)


def errors(truth: np.ndarray, forecast: np.ndarray) -> dict[str, float]:
    """MAE and RMSE of ``forecast`` against ``truth`` (same units)."""
    import numpy as np

    diff = np.asarray(truth, dtype=np.float64) - np.asarray(forecast, dtype=np.float64)
    return {"mae": float(np.mean(np.abs(diff))), "rmse": float(np.sqrt(np.mean(diff ** 2)))}


def detect_period(train: np.ndarray, max_period: int = MAX_PERIOD) -> int | None:
    """The season length of a series (its training part), or None when there is none.

    Looks at first differences (a trend would make every lag look alike) and returns the
    lag >= 2 with the highest autocorrelation, if that is a local peak of at least
    :data:`MIN_AUTOCORRELATION`. Lags go up to a third of the series, so each is seen at
    least about three times."""
    import numpy as np

    d = np.diff(np.asarray(train, dtype=np.float64))
    d = d - d.mean()
    energy = float(np.dot(d, d))
    top = min(max_period, len(d) // 3)
    if top < 3 or energy == 0:
        return None
    acf = np.array([0.0] + [float(np.dot(d[:-k], d[k:])) / energy for k in range(1, top + 2)])
    best = max(range(2, top + 1), key=lambda k: acf[k])
    if acf[best] < MIN_AUTOCORRELATION or acf[best] < acf[best - 1] or acf[best] < acf[best + 1]:
        return None
    return best


def seasonal_naive(series: np.ndarray, targets: np.ndarray, period: int) -> np.ndarray:
    """Forecasts of ``series[t]`` for each ``t`` in ``targets``: last + the change one period
    earlier, ``series[t-1] + series[t-period] - series[t-period-1]``."""
    import numpy as np

    s = np.asarray(series, dtype=np.float64)
    t = np.asarray(targets, dtype=np.int64)
    return s[t - 1] + s[t - period] - s[t - period - 1]


def linear_ar(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    """A linear model fitted on the training windows, predicting the test windows' targets
    (in the model's own scaled-change units)."""
    import numpy as np
    from sklearn.linear_model import Ridge
    from threadpoolctl import threadpool_limits

    def flat(x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=np.float64).reshape(len(x), -1)

    # A whisker of ridge keeps long, collinear windows solvable; on short ones it is least squares.
    with threadpool_limits(limits=1):  # small matrices: more BLAS threads only fight over the cores
        model = Ridge(alpha=1e-3).fit(flat(x_train)[-MAX_FIT_ROWS:], np.asarray(y_train, dtype=np.float64)[-MAX_FIT_ROWS:])
        return model.predict(flat(x_test)).reshape(len(x_test), -1)


def forecast_baselines(bundle: Any, truth: np.ndarray) -> tuple[list[dict[str, Any]], list[str]]:
    """The baselines of a forecasting bundle's test split, and notes on what was left out.

    ``truth`` is the test targets in original units. Each baseline is
    ``{"name", "description", "metrics": {"mae", "rmse"}}`` (plus ``period``)."""
    import numpy as np

    from dlterm_edge.preprocess import to_units

    last = np.asarray(bundle.extra["last_test"], dtype=np.float64)
    out = [{"name": "naive", "description": "next = last", "metrics": errors(truth, last)}]
    notes: list[str] = []
    series, targets = bundle.extra.get("target_series"), bundle.extra.get("test_targets_at")
    if series is None or targets is None:
        notes.append("seasonal naive: this dataset does not keep its series")
    else:
        declared = int(bundle.extra.get("period") or 0)
        period = declared or detect_period(np.asarray(series)[: int(bundle.extra["train_rows"])])
        how = "declared" if declared else "detected"
        if period is None:
            notes.append("seasonal naive: no season found in the training part (declare one with --set data.period=N)")
        elif int(np.min(targets)) - period - 1 < 0:
            notes.append(f"seasonal naive: period {period} is longer than the history before the test split")
        else:
            out.append({"name": "seasonal_naive", "description": f"last + the change one period earlier (period {period}, {how})",
                        "period": period, "period_source": how,
                        "metrics": errors(truth, seasonal_naive(series, targets, period))})
    if len(bundle.y_train) >= 2:
        change = linear_ar(bundle.x_train, bundle.y_train, bundle.x_test)
        fitted = min(len(bundle.y_train), MAX_FIT_ROWS)
        description = "linear least squares on the model's window" + (
            f" (the last {fitted} of {len(bundle.y_train)} training windows)" if fitted < len(bundle.y_train) else "")
        out.append({"name": "linear_ar", "description": description,
                    "metrics": errors(truth, to_units(change, last, bundle.preprocessing))})
    return out, notes
