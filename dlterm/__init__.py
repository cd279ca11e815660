"""dlterm: a terminal deep-learning studio.

Importing this package is cheap on purpose: TensorFlow is only imported by the modules
that train, evaluate or export (through :mod:`dlterm.keras_env`).
"""

__version__ = "0.1.0"
