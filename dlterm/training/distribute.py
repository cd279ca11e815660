"""Distributed training through TensorFlow's own engine, ``tf.distribute``.

* ``default``: one device, no strategy.
* ``mirrored``: every local GPU (``MirroredStrategy``); on a CPU-only machine, one replica.
* ``multiworker``: ``MultiWorkerMirroredStrategy`` over the hosts named by the standard
  ``TF_CONFIG`` environment variable, so any launcher that sets it works (SSH, or
  ``dlterm launch`` on one machine); without it, the cluster of a Kubernetes Indexed Job
  or a Slurm step (``cluster_discovery``).

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
import re
import sys
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
    if name != "multiworker":
        return
    from dlterm.training.cluster_discovery import check

    if check() == "TF_CONFIG":
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
        from dlterm.training.cluster_discovery import export_tf_config

        found = export_tf_config()  # a Kubernetes Indexed Job or Slurm step without TF_CONFIG
        if found != "TF_CONFIG":  # say what was found: the first thing to check in a cluster's logs
            task, workers = tf_config()["task"], tf_config()["cluster"].get("worker", [])
            print(f"dlterm: {found} cluster, {task['type']} {task['index']} of {len(workers)} workers: {','.join(workers)}",
                  file=sys.stderr, flush=True)
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def lost_worker_report(error: BaseException, run_id: str, epochs_completed: int,
                       config: dict[str, Any] | None = None) -> tuple[str, str] | None:
    """(message, hint) when a multi-worker fit died because a peer went away, else None.

    The collectives fail with ``UnavailableError``: either TensorFlow's coordination
    service saw a worker stop sending heartbeats (crashed, killed, preempted) and names
    it, or the connection to it was reset first and nobody is named. The raw text is a
    page of RPC detail, so say it plainly.
    """
    if type(error).__name__ not in ("UnavailableError", "DeadlineExceededError"):
        return None
    text = str(error)
    config = tf_config() if config is None else config
    tasks = re.findall(r"/job:(\w+)/replica:\d+/task:(\d+)", text.partition("unhealthy")[2])
    who = ", ".join(dict.fromkeys(f"{kind} {index}" for kind, index in tasks))
    if not who:  # with two tasks, the lost one is the other one
        everyone = [(kind, i) for kind, hosts in config.get("cluster", {}).items() for i in range(len(hosts))]
        me = (config.get("task", {}).get("type"), config.get("task", {}).get("index"))
        others = [task for task in everyone if task != me]
        who = f"{others[0][0]} {others[0][1]}" if len(everyone) == 2 and len(others) == 1 else "a worker"
    message = (f"{who} of the cluster was lost (stopped answering: crashed, killed or preempted); "
               f"training stopped after epoch {epochs_completed}")
    hint = (f"the run keeps epoch {epochs_completed}: start the workers again with `train --resume {run_id}` "
            f"(`dlterm launch --emit k8s|slurm -- train --resume {run_id}` writes the recipe), "
            f"or finish it on one machine with `dlterm train --resume {run_id} --strategy default`")
    return message, hint
