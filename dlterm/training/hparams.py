"""The TensorBoard HParams summary of a run, so ``tensorboard --logdir models/`` lists
every run's settings in its HParams tab next to its curves and compares runs by them.

Written once when a run starts, into the run's ``tensorboard/`` folder beside the Keras
callback's ``train/`` and ``validation/`` logs (which the HParams tab reads its metrics
from). TensorBoard is imported only here, when a run with TensorBoard logs starts.
"""

from __future__ import annotations

import json
import os
from typing import Any

SECTIONS = ("hyperparameters", "training", "data")


def hparam_values(config: dict[str, Any], plugin: str, dataset: str) -> dict[str, bool | int | float | str]:
    """The run's settings as HParams values (bool, number or text: lists and tables
    become JSON text), keyed ``section.name`` like ``dlterm compare``."""
    out: dict[str, bool | int | float | str] = {"plugin": plugin, "dataset": dataset}
    for section in SECTIONS:
        for name, value in (config.get(section) or {}).items():
            out[f"{section}.{name}"] = value if isinstance(value, (bool, int, float, str)) else json.dumps(value, default=str)
    return out


def write_hparams(log_dir: str | os.PathLike, run_id: str, config: dict[str, Any], plugin: str, dataset: str) -> None:
    from tensorboard.plugins.hparams import api as hp

    from dlterm.keras_env import tf

    writer = tf.summary.create_file_writer(str(log_dir))
    with writer.as_default():
        hp.hparams(hparam_values(config, plugin, dataset), trial_id=run_id)
    writer.close()
