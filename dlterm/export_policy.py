"""When an exported variant is accepted: the one verification policy every export follows.

* A float32 variant (``quantize == "none"``) must reproduce Keras: every output within
  :data:`FLOAT32_TOLERANCE` on the inputs Keras saw. A larger error is a conversion bug,
  never "numerical noise".
* A reduced-precision variant (float16, dynamic, int8, int8-full, ONNX dynamic/int8) is
  expected to differ; it is judged by the task metric on the test split: it may lose at
  most ``max_loss`` (a rate: absolute, 0.01 = 1 point; an error metric: relative, 0.10 =
  10%). Its error is shown, and it is refused when its float32 sibling failed: the error
  would then be the conversion's, not quantization's, and must not pass silently.

Pure functions (no TensorFlow): the CLI, the benchmark and tests share them.
"""

from __future__ import annotations

import math
from typing import Any

FLOAT32_TOLERANCE = 1e-4
RATE_MAX_LOSS = 0.01  # 1 point of accuracy
ERROR_MAX_LOSS = 0.10  # 10% more RMSE or bits per character


def default_max_loss(higher_is_better: bool) -> float:
    return RATE_MAX_LOSS if higher_is_better else ERROR_MAX_LOSS


def metric_loss(keras_value: float, export_value: float, higher_is_better: bool) -> float:
    """How much the export lost against Keras, in the unit ``max_loss`` is given in
    (negative when it did better)."""
    if higher_is_better:
        return keras_value - export_value
    return (export_value - keras_value) / keras_value if keras_value > 0 else export_value - keras_value


def judge(quantize: str, max_abs_error: float, keras_value: float, export_value: float, metric: str,
          higher_is_better: bool, max_loss: float | None = None, float32_failed: bool = False) -> tuple[bool, str]:
    """(accepted, why not) for one verified-against-Keras variant."""
    numbers = (max_abs_error, keras_value, export_value)
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in numbers):
        return False, "the export produced non-finite outputs or metrics"
    if quantize == "none":
        if max_abs_error > FLOAT32_TOLERANCE:
            return False, f"differs from Keras by {max_abs_error:.2e} (float32 limit {FLOAT32_TOLERANCE:g})"
        return True, ""
    if float32_failed:
        return False, (f"its float32 conversion already differs from Keras (this variant: {max_abs_error:.2e}); "
                       "the error is the conversion's, not quantization's")
    allowed = default_max_loss(higher_is_better) if max_loss is None else max_loss
    loss = metric_loss(keras_value, export_value, higher_is_better)
    if loss > allowed + 1e-12:
        unit = f"{allowed * 100:g} points" if higher_is_better else f"{allowed * 100:g}%"
        return False, f"{metric} {keras_value:.4g} -> {export_value:.4g} loses more than the allowed {unit} (--max-loss)"
    return True, ""


def failed_record(fmt: str, quantize: str, reason: str, **numbers: Any) -> dict[str, Any]:
    """What exports.json keeps for a variant that failed: its reason and numbers, no files
    (nothing was written, so nothing may be listed)."""
    return {"format": fmt, "quantize": quantize, "status": "failed", "verified": False, "reason": reason,
            "path": "", "files": [], **numbers}


def summary_line(results: list[dict[str, Any]]) -> str:
    """``5 variants: 4 verified, 1 failed (tflite int8-full)``."""
    failed = [f"{r['format']} {r['quantize']}" for r in results if not r.get("verified")]
    text = f"{len(results)} variant{'s' if len(results) != 1 else ''}: {len(results) - len(failed)} verified"
    return text + (f", {len(failed)} failed ({', '.join(failed)})" if failed else "")
