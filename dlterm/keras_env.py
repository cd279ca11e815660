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
def quiet_native_output(fds: tuple[int, ...] = (2,)):
    """Mute file descriptors (2 = stderr, 1 = stdout) while native code runs.

    TensorFlow's CUDA probe and the TFLite converter print through C++, past any log
    level and past Python's sys.stdout, which would corrupt ``--json`` output and a TUI.
    Python exceptions still propagate; set DLTERM_DEBUG=1 to see everything.
    """
    if os.environ.get("DLTERM_DEBUG"):
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in fds}
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        for fd in fds:
            os.dup2(devnull, fd)
        yield
    finally:
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        os.close(devnull)


with quiet_native_output():
    import tensorflow as tf
    import tf_keras as keras

layers = keras.layers

tf.get_logger().setLevel("ERROR")

__all__ = ["tf", "keras", "layers", "quiet_native_output"]
