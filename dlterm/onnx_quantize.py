"""Quantized ONNX variants, made with onnxruntime's own tooling (``onnxruntime.quantization``).

* ``dynamic``: int8 weights, activations quantized on the fly (``quantize_dynamic``): no
  calibration; recurrent ops (LSTM, GRU) have dynamic kernels in onnxruntime.
* ``int8``: static QDQ (``quantize_static``, QuantizeLinear/DequantizeLinear pairs around
  each quantized op) with activation ranges calibrated on the run's training split; the
  model's inputs and outputs stay float32, so any ONNX runtime can feed it.

Both start from the float32 model after onnxruntime's pre-processing (shape inference and
graph optimization), which its documentation asks for before quantizing.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np

ONNX_CALIBRATION_SAMPLES = 200


def calibration_feeds(calls: list[tuple[dict[str, np.ndarray], Any]], names: list[str],
                      limit: int = ONNX_CALIBRATION_SAMPLES) -> Iterator[dict[str, np.ndarray]]:
    """Recorded (inputs, output) calls -> one {input name: batch of 1} feed per sample."""
    count = 0
    for inputs, _ in calls:
        size = len(next(iter(inputs.values())))
        for i in range(size):
            if count >= limit:
                return
            yield {n: np.asarray(inputs[n][i:i + 1]) for n in names if n in inputs}
            count += 1


@contextlib.contextmanager
def _quiet_root_logger(logging: Any) -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def quantize_onnx(fp32: bytes, path: Path, quantize: str, calibration: list | None) -> None:
    """Write the ``quantize`` variant ("dynamic" or "int8") of the serialized float32 model to ``path``."""
    import logging

    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    # the quantizer logs notes (axis warnings for 1-D weights) on the root logger
    with tempfile.TemporaryDirectory(prefix="dlterm-onnxq-") as tmp, _quiet_root_logger(logging):
        source, prepared = Path(tmp) / "fp32.onnx", Path(tmp) / "prepared.onnx"
        source.write_bytes(fp32)
        try:
            quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        except Exception:  # noqa: BLE001 - pre-processing is an optimization; quantize the plain model
            prepared = source
        if quantize == "dynamic":
            quantize_dynamic(str(prepared), str(path), weight_type=QuantType.QInt8)
            return
        if quantize != "int8":
            raise ValueError(f"no ONNX quantization {quantize!r}")
        if not calibration:
            raise ValueError("static ONNX quantization needs calibration samples")
        names = [i.name for i in onnx.load(str(prepared)).graph.input]

        class Reader(CalibrationDataReader):
            def __init__(self) -> None:
                self.feeds = calibration_feeds(calibration, names)

            def get_next(self) -> dict[str, np.ndarray] | None:
                return next(self.feeds, None)

        quantize_static(str(prepared), str(path), Reader(), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8, per_channel=True)
