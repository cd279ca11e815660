"""What to train: a request checked and resolved into a plan, before anything is written.

Everything that can be checked is checked here (plugin, settings, dataset, the stored run
of a resume), with no TensorFlow and no files written, so bad input leaves nothing behind.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from dlterm import config as config_mod
from dlterm import datasets
from dlterm.discovery import Plugin, get_plugin
from dlterm.errors import DltermError, TrainingFailed
from dlterm.runstore import Run, RunStore
from dlterm.tasks import get_task
from dlterm.training.distribute import is_chief


@dataclass
class TrainRequest:
    """What the CLI (or TUI, through the CLI) asks for."""

    plugin: str | None = None
    dataset: str | None = None
    data_path: str | None = None
    config_file: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    models_dir: str | None = None
    plugin_dirs: list[str] = field(default_factory=list)
    resume: str | None = None


@dataclass
class Prepared:
    plugin: Plugin
    dataset: str
    config: dict[str, dict[str, Any]]
    monitor: str
    mode: str
    run: Run | None = None  # set when resuming
    explicit: frozenset[str] = frozenset()  # training options the user set (the rest follow dlterm's rules)


def prepare(req: TrainRequest) -> Prepared:
    """Resolve and validate everything about the request; no TensorFlow, no files written."""
    store = RunStore(req.models_dir)
    if req.resume:
        return _prepare_resume(req, store)
    file_config = config_mod.load_config_file(req.config_file) if req.config_file else {}
    name = req.plugin or file_config.get("plugin")
    if not name:
        raise DltermError("no plugin given", "name one: `dlterm train cnn` (see `dlterm plugins`)")
    plugin = get_plugin(name, req.plugin_dirs)
    explicit: set[str] = set()
    cfg = config_mod.resolve(plugin, file_config, req.overrides, explicit)
    if req.data_path:
        cfg["data"]["path"] = req.data_path
    if isinstance(cfg["data"].get("path"), str) and cfg["data"]["path"]:
        # Stored absolute: export, evaluate and resume may run from another directory. Not
        # resolved: a link stays the link the user named, and a link loop is left for the
        # loader to name (resolve() raises on loops).
        cfg["data"]["path"] = os.path.abspath(os.path.expanduser(cfg["data"]["path"]))
    dataset = req.dataset or file_config.get("dataset")
    task = get_task(plugin.task)
    if not dataset:
        dataset = task.file_dataset(cfg["data"]["path"]) if cfg["data"].get("path") else plugin.default_dataset
    info = datasets.get_dataset(dataset)
    if info not in task.datasets():
        fitting = ", ".join(d.name for d in task.datasets())
        raise DltermError(f"dataset '{dataset}' is for {info.task}, but plugin '{plugin.name}' does {plugin.task}",
                          f"datasets for {plugin.task}: {fitting}")
    cfg["data"] = info.resolve_settings(cfg["data"])
    datasets.check_dataset_memory(dataset, cfg["data"])  # refuse the impossible before loading
    monitor, mode = task.monitor_for(cfg["training"]["monitor"])
    return Prepared(plugin, dataset, cfg, monitor, mode, explicit=frozenset(explicit))


def _prepare_resume(req: TrainRequest, store: RunStore) -> Prepared:
    run = store.get(req.resume)
    status = run.status
    if status == "running" and is_chief():  # other workers read the run their chief holds
        raise DltermError(f"run {run.id} is still running (pid {run.meta.get('pid')})", "stop it first, or wait")
    done = run.meta["epochs_completed"]
    if not (run.checkpoint("last").is_file() or run.pending_checkpoint("last", done).is_file()) or done == 0:
        raise DltermError(f"run {run.id} has no completed epoch to resume from", "start a new run instead")
    cfg = run.meta["config"]
    allowed = {"epochs", "training.epochs", "strategy", "training.strategy"}
    changed = set(req.overrides) - allowed
    if changed or req.config_file or req.dataset or req.data_path or (req.plugin and req.plugin != run.meta["plugin"]):
        what = ", ".join(sorted(changed)) or "plugin/dataset/config"
        raise DltermError(f"cannot change {what} when resuming run {run.id}",
                          "only --epochs and --strategy may change; start a new run for other settings")
    plugin = get_plugin(run.meta["plugin"], req.plugin_dirs)
    _check_stored_config(run, plugin)
    datasets.get_dataset(run.meta["dataset"])
    # The two settings a resume may change are checked like a new run's.
    for name in ("epochs", "strategy"):  # strategy: e.g. finish a multi-worker run on one machine
        value = req.overrides.get(name, req.overrides.get(f"training.{name}"))
        if value is not None:
            cfg = {**cfg, "training": {**cfg["training"], name: _checked_option(name, value)}}
    # A run killed after its last epoch but before it was marked completed is finished by
    # the resume (fit has nothing left to do; final.keras is written, status set).
    total = sum(p.epochs for p in plan_phases(plugin, cfg))
    if done >= total and status == "completed":
        raise DltermError(f"run {run.id} has already trained {done} of {total} epochs",
                          "pass a larger --epochs to train it further")
    monitor, mode = get_task(plugin.task).monitor_for(cfg["training"]["monitor"])
    return Prepared(plugin, run.meta["dataset"], cfg, monitor, mode, run=run)


def _check_stored_config(run: Run, plugin: Plugin) -> None:
    """A run folder is untrusted: every stored setting is checked against its spec, as a
    new run's would be, before it reaches the builder or the optimizer."""
    from dlterm.settings import check_value
    from dlterm.training_options import TRAINING_OPTIONS

    for section, specs in (("hyperparameters", {h.name: h for h in plugin.hyperparameters}),
                           ("training", {o.name: o for o in TRAINING_OPTIONS})):
        stored = run.meta["config"][section]
        for key, value in stored.items():
            problem = "is unknown" if key not in specs else None
            if problem is None:
                try:
                    stored[key] = check_value(specs[key], value)
                except ValueError as e:
                    problem = f"is invalid: {e}"
            if problem:
                raise DltermError(f"run {run.id} is damaged: its {section} setting {str(key)[:40]!r} {problem}",
                                  "the run cannot be resumed; start a new run")
        for key in set(specs) - set(stored):  # a setting newer than the run: its default
            stored[key] = plugin.training_defaults.get(key, specs[key].default) if section == "training" else specs[key].default


def _checked_option(name: str, value: Any) -> Any:
    from dlterm.settings import check_value
    from dlterm.training_options import TRAINING_OPTIONS

    spec = next(o for o in TRAINING_OPTIONS if o.name == name)
    try:
        return check_value(spec, value)
    except ValueError as e:
        raise DltermError(f"invalid training option {name}: {e}", f"allowed: {spec.describe_range()}") from None


def plan_phases(plugin: Plugin, config: dict[str, dict[str, Any]]) -> list[Any]:
    """The plugin's training phases, or one phase of ``epochs`` epochs."""
    from dlterm.plugin_api import Phase

    if plugin.phases is None:
        return [Phase("train", config["training"]["epochs"])]
    try:
        phases = list(plugin.phases(dict(config["hyperparameters"]), dict(config["training"])))
    except Exception as e:  # noqa: BLE001 - a plugin bug must not look like a dlterm crash
        raise TrainingFailed(f"plugin '{plugin.name}' phases() failed: {type(e).__name__}: {e}", f"fix {plugin.origin}") from e
    if not phases or not all(isinstance(p, Phase) and p.epochs >= 0 for p in phases):
        raise TrainingFailed(f"plugin '{plugin.name}' phases() must return a list of Phase", f"fix {plugin.origin}")
    return [p for p in phases if p.epochs > 0] or phases[:1]
