"""Distributed training through TensorFlow's own engine, ``tf.distribute``.

* ``default``: one device, no strategy.
* ``mirrored``: every local GPU (``MirroredStrategy``); on a CPU-only machine, one replica.
* ``multiworker``: ``MultiWorkerMirroredStrategy`` over the hosts named by the standard
  ``TF_CONFIG`` environment variable, so any launcher that sets it works (Kubernetes
  TFJob, Slurm scripts, SSH, or ``dlterm launch`` on one machine).

``batch_size`` is the global batch: each of N replicas computes batch_size / N samples
per step, and the data is sharded between workers. The learning rate is not scaled for
you; when you grow the global batch, raise it (linearly is the usual first guess).

Only the chief (task ``chief``, or ``worker`` 0 when there is no chief) writes the run
store and emits events. Other workers save their checkpoints into a throwaway folder:
Keras needs every worker to take part in saving.
"""

from __future__ import annotations

import json
import os
from typing import Any

STRATEGIES = ("default", "mirrored", "multiworker")


def tf_config() -> dict[str, Any]:
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return {}
    try:
        config = json.loads(raw)
    except json.JSONDecodeError:
        from dlterm.errors import DltermError

        raise DltermError("TF_CONFIG is not valid JSON", 'set it like {"cluster": {"worker": [...]}, "task": {"type": "worker", "index": 0}}') from None
    return config if isinstance(config, dict) else {}


def is_chief() -> bool:
    """True on the worker that owns the run store (and on a single machine)."""
    task = tf_config().get("task", {})
    kind, index = task.get("type"), task.get("index", 0)
    if kind is None:
        return True
    has_chief = "chief" in tf_config().get("cluster", {})
    return kind == "chief" or (kind == "worker" and index == 0 and not has_chief)


def check_strategy(name: str) -> None:
    if name == "multiworker":
        cluster = tf_config().get("cluster", {})
        if not cluster or "task" not in tf_config():
            from dlterm.errors import DltermError

            raise DltermError("--strategy multiworker needs TF_CONFIG (cluster and task)",
                              "set TF_CONFIG on every host, or try it locally with `dlterm launch --workers 2 -- train ...`")


def make_strategy(name: str) -> Any:
    """Create the strategy; call right after TensorFlow is imported, before other ops."""
    from dlterm.keras_env import tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()
