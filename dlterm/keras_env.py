"""The one door to TensorFlow and Keras.

Every module that needs TensorFlow imports it from here, so that the environment is set
before TensorFlow's first import, in one place:

* ``TF_USE_LEGACY_KERAS=1``: use tf-keras (Keras 2). tf2onnx cannot convert Keras 3
  models, and with this set ``tf.keras`` is tf-keras too.
* ``TF_CPP_MIN_LOG_LEVEL=3``: TensorFlow's C++ logging writes straight to the terminal;
  keep it to fatal errors (a CPU-only machine logs a CUDA error otherwise).

Importing this module costs seconds (TensorFlow): only training, evaluation and export
code does, never the CLI's start-up or the TUI.
"""

from __future__ import annotations

import contextlib
import os
import sys

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextlib.contextmanager
def _quiet_stderr_fd():
    """Mute file descriptor 2 while TensorFlow loads.

    Its CUDA probe prints "Could not find cuda drivers" through C++ before any log level
    applies. Python exceptions still propagate; set DLTERM_DEBUG=1 to see everything.
    """
    if os.environ.get("DLTERM_DEBUG"):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


with _quiet_stderr_fd():
    import tensorflow as tf
    import tf_keras as keras

layers = keras.layers

tf.get_logger().setLevel("ERROR")

__all__ = ["tf", "keras", "layers"]
