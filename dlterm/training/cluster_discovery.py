"""Find the multi-worker cluster when ``TF_CONFIG`` is not set, so clusters need no operator.

``MultiWorkerMirroredStrategy`` reads the cluster from ``TF_CONFIG``. Schedulers do not
write it, but they say enough to build it:

* a Kubernetes **Indexed Job** gives every pod ``JOB_COMPLETION_INDEX``; the manifest
  from ``dlterm launch --emit k8s`` adds ``DLTERM_WORKER_HOSTS`` (``host:port`` of every
  worker, in index order: the pods' stable names ``JOB-INDEX.SERVICE``);
* **Slurm** (a step started by ``srun``) describes its tasks in ``SLURM_*`` variables,
  which TensorFlow's own ``SlurmClusterResolver`` turns into a cluster.

``TF_CONFIG`` always wins. The checks here need no TensorFlow (they run before it is
imported, so bad input fails at once); only resolving a Slurm cluster imports it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from typing import Any

from dlterm.errors import DltermError

K8S_INDEX = "JOB_COMPLETION_INDEX"
K8S_HOSTS = "DLTERM_WORKER_HOSTS"
PORT_BASE = "DLTERM_PORT_BASE"  # first port of the Slurm workers on a node (TensorFlow's default: 8888)
SLURM_NEEDS = ("SLURM_PROCID", "SLURM_STEP_NUM_TASKS", "SLURM_STEP_NODELIST", "SLURM_STEP_TASKS_PER_NODE")
EMIT_HINT = "generate the recipe with `dlterm launch --emit k8s|slurm -- train ...`"


def source(env: Mapping[str, str] | None = None) -> str | None:
    """Where the cluster comes from: "TF_CONFIG", "kubernetes", "slurm" or None."""
    env = os.environ if env is None else env
    if env.get("TF_CONFIG"):
        return "TF_CONFIG"
    if K8S_INDEX in env or K8S_HOSTS in env:
        return "kubernetes"
    if "SLURM_PROCID" in env or "SLURM_STEP_ID" in env:
        return "slurm"
    return None


def check(env: Mapping[str, str] | None = None) -> str:
    """Validate the cluster's environment without TensorFlow; return its source."""
    env = os.environ if env is None else env
    found = source(env)
    if found == "kubernetes":
        kubernetes_config(env)
    elif found == "slurm":
        missing = [name for name in SLURM_NEEDS if not env.get(name)]
        if missing:
            raise DltermError(f"Slurm step without {', '.join(missing)}",
                              "start the workers with srun inside the allocation (see `dlterm launch --emit slurm`)")
        port_base(env)
    elif found is None:
        raise DltermError("--strategy multiworker found no cluster: no TF_CONFIG, Kubernetes Indexed Job or Slurm step",
                          f"{EMIT_HINT}, set TF_CONFIG on every host, or try it locally with "
                          "`dlterm launch --workers 2 -- train ...`")
    return found


def kubernetes_config(env: Mapping[str, str]) -> dict[str, Any]:
    """TF_CONFIG for pod ``JOB_COMPLETION_INDEX`` of the workers in ``DLTERM_WORKER_HOSTS``."""
    raw_index, raw_hosts = env.get(K8S_INDEX), env.get(K8S_HOSTS)
    if raw_hosts is None:
        raise DltermError(f"{K8S_INDEX} is set (a Kubernetes Indexed Job) but {K8S_HOSTS} is not", EMIT_HINT)
    if raw_index is None:
        raise DltermError(f"{K8S_HOSTS} is set but {K8S_INDEX} is not (run it as an Indexed Job)", EMIT_HINT)
    hosts = [h.strip() for h in raw_hosts.split(",")]
    for host in hosts:
        name, _, port = host.rpartition(":")
        if not name or not port.isdigit() or not 0 < int(port) < 65536:
            raise DltermError(f"{K8S_HOSTS} has {host!r}, not host:port",
                              "list every worker as host:port, comma-separated, in index order")
    if len(set(hosts)) != len(hosts):
        raise DltermError(f"{K8S_HOSTS} names a worker twice", "list each worker once, in index order")
    if not raw_index.strip().isdigit() or int(raw_index) >= len(hosts):
        raise DltermError(f"{K8S_INDEX}={raw_index!r} is not an index into the {len(hosts)} workers of {K8S_HOSTS}",
                          "give the Job as many completions as there are hosts in " + K8S_HOSTS)
    return {"cluster": {"worker": hosts}, "task": {"type": "worker", "index": int(raw_index)}}


def port_base(env: Mapping[str, str]) -> int:
    raw = env.get(PORT_BASE, "8888")
    if not raw.isdigit() or not 1024 <= int(raw) < 65000:
        raise DltermError(f"{PORT_BASE}={raw!r} is not a port number", "use a free port from 1024 to 64999")
    return int(raw)


def slurm_config(env: Mapping[str, str]) -> dict[str, Any]:
    """TF_CONFIG from TensorFlow's SlurmClusterResolver (imports TensorFlow)."""
    from dlterm.keras_env import tf

    options: dict[str, Any] = {"port_base": port_base(env)}
    try:
        if not env.get("CUDA_VISIBLE_DEVICES") and shutil.which("nvidia-smi") is None:
            # No GPUs: the resolver would fail running nvidia-smi, and it cannot hand out zero
            # GPUs per task. Give each task a nominal one and keep it away from CUDA settings;
            # TF_CONFIG carries hosts and ports only, so the strategy still sees the real devices.
            per_node = max(int(n.split("(")[0]) for n in env["SLURM_STEP_TASKS_PER_NODE"].split(","))
            options.update(gpus_per_node=per_node, gpus_per_task=1, auto_set_gpu=False)
        resolver = tf.distribute.cluster_resolver.SlurmClusterResolver(**options)
        cluster = resolver.cluster_spec().as_dict()
    except (RuntimeError, ValueError, KeyError) as e:
        raise DltermError(f"cannot build the cluster from Slurm's environment: {e}",
                          "start one task per worker with srun (see `dlterm launch --emit slurm`)") from None
    kind, index = resolver.get_task_info()
    config = {"cluster": cluster, "task": {"type": kind, "index": index}}
    check_own_host(config, env)
    return config


def check_own_host(config: dict[str, Any], env: Mapping[str, str]) -> None:
    """The resolver sorts node names as text while Slurm numbers tasks in node order: with
    names like n9, n10 a task would be given another node's address and the workers would
    wait for each other forever. slurmd names the task's own node: compare."""
    node = env.get("SLURMD_NODENAME")
    task = config["task"]
    address = config["cluster"][task["type"]][task["index"]]
    if node and address.rpartition(":")[0] != node:
        raise DltermError(f"Slurm task {env.get('SLURM_PROCID')} runs on {node} but the resolved cluster puts it at {address}",
                          "use node names that sort in Slurm's order (zero-padded numbers), or set TF_CONFIG yourself")


def export_tf_config(env: dict[str, str] | None = None) -> str:
    """Set ``TF_CONFIG`` from the cluster found (a no-op when it is already set); return the source.

    Call before creating ``MultiWorkerMirroredStrategy``: the strategy and
    :func:`dlterm.training.distribute.is_chief` both read ``TF_CONFIG``.
    """
    env = os.environ if env is None else env  # type: ignore[assignment]
    found = check(env)
    if found == "kubernetes":
        env["TF_CONFIG"] = json.dumps(kubernetes_config(env))
    elif found == "slurm":
        env["TF_CONFIG"] = json.dumps(slurm_config(env))
    return found
