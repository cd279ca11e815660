"""The training options every plugin gets, declared with the same spec as hyperparameters.

Plugins may change their defaults through ``TRAINING_DEFAULTS``; users set them with
``--epochs``-style flags, ``--set key=value`` or a ``[training]`` table in ``--config``.
No TensorFlow here: the CLI, the TUI form and plugin validation all read this list.
"""

from __future__ import annotations

from dlterm.settings import Bool, Choice, Float, Int

OPTIMIZERS = ("adam", "sgd", "rmsprop", "adagrad", "adadelta")
SCHEDULES = ("constant", "exponential", "cosine", "plateau")
MONITORS = ("auto", "val_loss", "val_accuracy", "val_mae", "loss")

TRAINING_OPTIONS = [
    Int("epochs", 10, min=1, max=100_000, help="passes over the training data"),
    Int("batch_size", 32, min=1, max=65_536, help="samples per gradient step"),
    Choice("optimizer", "adam", OPTIMIZERS, help="gradient descent variant"),
    Float("learning_rate", 1e-3, min=1e-8, max=10.0, help="initial step size"),
    Float("momentum", 0.9, min=0.0, max=0.999, help="SGD momentum (sgd only)"),
    Choice("schedule", "constant", SCHEDULES,
           help="learning-rate schedule: exponential/cosine decay per step, plateau = reduce on plateau"),
    Float("decay_rate", 0.9, min=0.01, max=1.0, help="exponential: factor applied once per epoch"),
    Float("plateau_factor", 0.2, min=0.01, max=0.99, help="plateau: factor applied when the monitor stalls"),
    Int("plateau_patience", 2, min=1, max=1000, help="plateau: epochs without improvement before reducing"),
    Float("min_lr", 1e-6, min=0.0, max=1.0, help="lower bound of the learning rate (cosine, plateau)"),
    Choice("monitor", "auto", MONITORS,
           help="metric for early stopping and the best checkpoint; auto = the task's main one"),
    Bool("early_stopping", True, help="stop when the monitor has not improved for `patience` epochs"),
    Int("patience", 5, min=1, max=10_000, help="early stopping patience in epochs"),
    Bool("augment", False, help="random image augmentation of the training split (images only)"),
    Float("rotation", 0.05, min=0.0, max=0.5, help="augment: max rotation as a fraction of a full turn"),
    Float("shift", 0.1, min=0.0, max=0.5, help="augment: max shift as a fraction of width/height"),
    Choice("flip", "none", ("none", "horizontal", "vertical", "both"), help="augment: random flips"),
    Float("zoom", 0.1, min=0.0, max=0.9, help="augment: max zoom in/out fraction"),
    Float("shear", 0.1, min=0.0, max=1.0, help="augment: max shear factor"),
    Float("max_minutes", 0.0, min=0.0, max=1e6,
          help="time budget: no new epoch starts after this many minutes of training (0 = none)"),
    Bool("tensorboard", True, help="write TensorBoard logs into the run folder"),
    Int("seed", 42, min=0, max=2**31 - 1, help="random seed for data splits, init and shuffling"),
    Choice("strategy", "default", ("default", "mirrored", "multiworker"),
           help="tf.distribute: one device, every local GPU, or a cluster's workers (TF_CONFIG, Kubernetes Indexed Job, Slurm; batch_size is global)"),
]

TRAINING_OPTION_NAMES = frozenset(p.name for p in TRAINING_OPTIONS)
