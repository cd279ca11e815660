"""Remove the cell-state clip TensorFlow's converter adds to fused LSTM ops.

TensorFlow 2.21's TFLite converter turns a Keras LSTM into a fused
``UNIDIRECTIONAL_SEQUENCE_LSTM`` op with ``cell_clip = 10.0``, although Keras never clips the
cell state. A barely trained model never reaches |c| = 10, so it verifies; a trained one
does (a charlstm after one epoch on tiny Shakespeare: |c| up to 15.4), and from the first
clipped step on its outputs drift from Keras (2e-2 after training, README "Why a TFLite
LSTM disagreed with Keras"). Setting the clip to 0 (TFLite's "no clipping") in the
flatbuffer makes the fused kernel compute exactly Keras's LSTM (4.8e-7 on that charlstm).
"""

from __future__ import annotations

CLIPPED_OPTIONS = ("cellClip",)  # UnidirectionalSequenceLSTM, BidirectionalSequenceLSTM and LSTM options


def without_cell_clip(data: bytes) -> tuple[bytes, int]:
    """The ``.tflite`` flatbuffer with every LSTM op's cell clip set to 0, and how many ops
    were clipped (the bytes are returned unchanged when none was)."""
    import importlib

    import flatbuffers

    from dlterm.keras_env import tf  # noqa: F401 - TensorFlow's environment is set before its schema loads

    schema = importlib.import_module("tensorflow.lite.python.schema_py_generated")

    model = schema.ModelT.InitFromPackedBuf(data, 0)
    changed = 0
    for graph in model.subgraphs or []:
        for op in graph.operators or []:
            options = op.builtinOptions
            for field in CLIPPED_OPTIONS:
                if options is not None and getattr(options, field, 0):
                    setattr(options, field, 0.0)
                    changed += 1
    if not changed:
        return data, 0
    builder = flatbuffers.Builder(len(data) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output()), changed
