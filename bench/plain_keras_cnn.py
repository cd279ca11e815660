"""The baseline: a plain Keras script with the seed tutorial's CNN, no dlterm involved.

Usage: python bench/plain_keras_cnn.py MNIST_NPZ EPOCHS BN_MOMENTUM
Prints one JSON line: test accuracy and the wall time of model.fit.
"""

import json
import os
import sys
import time

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tf_keras as keras  # noqa: E402
from tf_keras import layers  # noqa: E402

path, epochs, momentum = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
keras.utils.set_random_seed(42)
with np.load(path) as f:
    x_train, y_train, x_test, y_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
x_train = (x_train / 255.0).astype("float32")[..., None]
x_test = (x_test / 255.0).astype("float32")[..., None]
n_val = 1200  # the same split dlterm makes (15% of the training set)
model = keras.Sequential([
    layers.Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)),
    layers.BatchNormalization(momentum=momentum),
    layers.MaxPooling2D((2, 2)),
    layers.Conv2D(64, (3, 3), activation="relu"),
    layers.BatchNormalization(momentum=momentum),
    layers.MaxPooling2D((2, 2)),
    layers.Conv2D(128, (3, 3), activation="relu"),
    layers.Flatten(),
    layers.Dense(128, activation="relu"),
    layers.Dropout(0.5),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
t0 = time.perf_counter()
model.fit(x_train[:-n_val], y_train[:-n_val], batch_size=32, epochs=epochs,
          validation_data=(x_train[-n_val:], y_train[-n_val:]), verbose=0)
fit_seconds = time.perf_counter() - t0
_, acc = model.evaluate(x_test, y_test, verbose=0)
print(json.dumps({"test_accuracy": acc, "fit_seconds": fit_seconds}))
