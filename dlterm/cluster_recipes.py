"""``dlterm launch --emit k8s|slurm``: the cluster recipe for a training command.

Clusters run ``dlterm train ... --strategy multiworker`` unchanged on every worker; what
differs is how the workers find each other (``dlterm.training.cluster_discovery``):

* **k8s**: an Indexed Job (each pod gets ``JOB_COMPLETION_INDEX``) and a headless Service
  whose name is the pods' ``subdomain``, so pod ``i`` is reachable as ``JOB-i.SERVICE``; the
  Job lists those names in ``DLTERM_WORKER_HOSTS``. No operator, no TF_CONFIG by hand.
* **slurm**: an ``sbatch`` script with one ``srun`` task per node; TensorFlow's
  SlurmClusterResolver reads the rest from Slurm.

Neither restarts a failed worker: a restarted worker would start a new run (or wait for
peers that have gone). The job stops, the run keeps its last complete epoch, and the
recipe for ``train --resume RUN`` continues it. Pure Python, no TensorFlow: rendering is
instant and unit-tested.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlterm.errors import DltermError
from dlterm.fileio import write_text

KINDS = ("k8s", "slurm")
DNS_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")


@dataclass
class RecipeOptions:
    workers: int = 2
    name: str | None = None  # Job/Service or Slurm job name; default from the command
    image: str | None = None  # k8s: an image with dlterm installed (required)
    cpus: int = 2  # per worker
    memory_gb: int = 4  # per worker
    gpus: int = 0  # per worker
    models_path: str | None = None  # the shared models folder as workers see it
    pvc: str | None = None  # k8s: the PersistentVolumeClaim mounted at models_path
    port: int = 2222  # k8s: the workers' gRPC port
    time_limit: str | None = None  # slurm: --time


def train_command(train_args: list[str]) -> list[str]:
    """The ``dlterm train`` arguments every worker runs, with ``--strategy multiworker``."""
    if not train_args or train_args[0] != "train":
        raise DltermError("launch --emit writes a recipe for a training command",
                          "write it after --: dlterm launch --emit k8s --image IMAGE -- train cnn")
    args = list(train_args)
    given = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--strategy"]
    given += [a.partition("=")[2] for a in args if a.startswith("--strategy=")]
    wrong = [value for value in given if value != "multiworker"]
    if wrong:
        raise DltermError(f"a cluster recipe trains with --strategy multiworker, not {wrong[0]!r}",
                          "leave --strategy out of the command (the recipe adds it)")
    if not given:
        args += ["--strategy", "multiworker"]
    return args


def default_name(train_args: list[str]) -> str:
    """``dlterm-`` plus the plugin or resumed run, made a valid Kubernetes name."""
    subject = "train"
    if "--resume" in train_args[:-1]:
        subject = train_args[train_args.index("--resume") + 1]
    else:
        subject = next((a for a in train_args[1:] if not a.startswith("-")), subject)
    cleaned = re.sub(r"[^a-z0-9-]+", "-", subject.lower()).strip("-")[:40].rstrip("-")
    return f"dlterm-{cleaned or 'train'}"


def check_name(name: str) -> str:
    if len(name) > 50 or not DNS_LABEL.fullmatch(name):
        raise DltermError(f"invalid recipe name {name!r}",
                          "use up to 50 lowercase letters, digits and '-', starting with a letter")
    return name


def render(kind: str, train_args: list[str], options: RecipeOptions) -> str:
    if kind not in KINDS:
        raise DltermError(f"unknown recipe kind {kind!r}", "use --emit k8s or --emit slurm")
    args = train_command(train_args)
    name = check_name(options.name or default_name(args))
    return render_k8s(name, args, options) if kind == "k8s" else render_slurm(name, args, options)


def write_recipe(kind: str, train_args: list[str], options: RecipeOptions, output: Path | None) -> None:
    """Render, then print it or write it to ``output`` atomically (an old file stays whole)."""
    text = render(kind, train_args, options)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        write_text(output, text)
        if kind == "slurm":  # sbatch does not need it; running the script by hand does
            output.chmod(output.stat().st_mode | 0o111)
    except OSError as e:
        raise DltermError(f"cannot write {output}: {e.strerror or e}", "choose a writable path for -o") from None
    print(f"wrote {output}", file=sys.stderr)


def worker_hosts(name: str, workers: int, port: int) -> list[str]:
    """Pod ``i`` of Indexed Job ``name`` with subdomain ``name`` is ``name-i.name``."""
    return [f"{name}-{i}.{name}:{port}" for i in range(workers)]


def render_k8s(name: str, args: list[str], o: RecipeOptions) -> str:
    if not o.image:
        raise DltermError("the k8s recipe needs --image", "name an image with dlterm installed: --image registry/dlterm:0.1")
    models = o.models_path or "/models"
    labels = {"app.kubernetes.io/name": "dlterm", "dlterm/job": name}
    service = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "clusterIP": "None",  # headless: DNS names for the pods, no load balancing
            "publishNotReadyAddresses": True,  # workers must find each other before any is "ready"
            "selector": {"dlterm/job": name},
            "ports": [{"name": "grpc", "port": o.port}],
        },
    }
    resources: dict[str, Any] = {"cpu": str(o.cpus), "memory": f"{o.memory_gb}Gi"}
    if o.gpus:
        resources["nvidia.com/gpu"] = o.gpus
    volume = {"name": "models", "persistentVolumeClaim": {"claimName": o.pvc}} if o.pvc else {"name": "models", "emptyDir": {}}
    job = {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "completionMode": "Indexed",
            "completions": o.workers,
            "parallelism": o.workers,
            "backoffLimit": 0,  # a lost worker fails the Job; resume the run, never restart blindly
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "subdomain": name,  # with the headless Service: pod i is NAME-i.NAME
                    "restartPolicy": "Never",
                    "containers": [{
                        "name": "dlterm",
                        "image": o.image,
                        "command": ["dlterm", *args],
                        "env": [
                            {"name": "DLTERM_WORKER_HOSTS", "value": ",".join(worker_hosts(name, o.workers, o.port))},
                            {"name": "DLTERM_HOME", "value": models},
                            {"name": "PYTHONUNBUFFERED", "value": "1"},
                        ],
                        "ports": [{"name": "grpc", "containerPort": o.port}],
                        "resources": {"requests": resources, "limits": resources},
                        "volumeMounts": [{"name": "models", "mountPath": models}],
                    }],
                    "volumes": [volume],
                },
            },
        },
    }
    head = [
        f"# dlterm launch --emit k8s: {o.workers} workers of `dlterm {shlex.join(args)}`",
        "# Apply: kubectl apply -f FILE   Chief's log: kubectl logs -f -l dlterm/job=%s,batch.kubernetes.io/job-completion-index=0" % name,
        "# A failed worker fails the Job (backoffLimit 0); resume with: dlterm launch --emit k8s ... -- train --resume RUN",
        f"# The run is written by pod 0 under {models}; it must be shared storage that every pod mounts.",
    ]
    if not o.pvc:
        head.append("# WARNING: no --pvc given: the models volume is an emptyDir and the run is lost with the pod.")
    return "\n".join(head + ["---", *to_yaml(service), "---", *to_yaml(job)]) + "\n"


def render_slurm(name: str, args: list[str], o: RecipeOptions) -> str:
    models = shlex.quote(o.models_path) if o.models_path else '"${DLTERM_HOME:-$SLURM_SUBMIT_DIR/models}"'
    lines = [
        "#!/bin/bash",
        f"# dlterm launch --emit slurm: {o.workers} workers of `dlterm {shlex.join(args)}`. Submit: sbatch FILE",
        f"#SBATCH --job-name={name}",
        f"#SBATCH --nodes={o.workers}",
        "#SBATCH --ntasks-per-node=1",
        f"#SBATCH --cpus-per-task={o.cpus}",
        f"#SBATCH --mem={o.memory_gb}G",
        f"#SBATCH --output={name}-%j.log",
    ]
    if o.gpus:
        lines.append(f"#SBATCH --gpus-per-node={o.gpus}")
    if o.time_limit:
        if not re.fullmatch(r"[0-9:-]+", o.time_limit):
            raise DltermError(f"invalid --time {o.time_limit!r}", "use Slurm's format, e.g. 2:00:00 or 1-12:00:00")
        lines.append(f"#SBATCH --time={o.time_limit}")
    lines += [
        "set -euo pipefail",
        "# The models folder: the same shared folder (NFS, Lustre...) on every node; task 0 writes the run.",
        f"export DLTERM_HOME={models}",
        "# Workers listen on this port; derived from the job id so jobs sharing a node do not collide.",
        "export DLTERM_PORT_BASE=$((20000 + SLURM_JOB_ID % 20000))",
        "export PYTHONUNBUFFERED=1",
        "# One worker per node (SlurmClusterResolver builds the cluster). --kill-on-bad-exit: a lost",
        "# worker stops the others; the run keeps its last complete epoch: resubmit with train --resume RUN.",
        f"srun --kill-on-bad-exit=1 dlterm {shlex.join(args)}",
    ]
    return "\n".join(lines) + "\n"


def to_yaml(value: Any, indent: int = 0) -> list[str]:
    """Block-style YAML for dicts, lists and scalars; strings are JSON-quoted (valid YAML)."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines.extend(to_yaml(item, indent + 2))
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
    else:
        for item in value:
            if isinstance(item, (dict, list)) and item:
                nested = to_yaml(item, indent + 2)
                nested[0] = f"{pad}- {nested[0][indent + 2:]}"
                lines.extend(nested)
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    return lines


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (dict, list)):
        return "{}" if isinstance(value, dict) else "[]"
    return json.dumps(str(value), ensure_ascii=False)
