"""The training service: turn a request into a finished (or resumable) run.

Everything that can be checked is checked before a run folder exists (plugin, settings,
dataset, the built model's shapes), so bad input leaves nothing behind. Then the run is
created and ``model.fit`` runs with dlterm's callbacks; the outcome is one of completed,
interrupted (Ctrl+C/SIGTERM/stop request: resumable) or failed (NaN loss, crash).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import shutil
import socket
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from dlterm import config as config_mod
from dlterm import datasets
from dlterm.checkpoints import load_model
from dlterm.discovery import Plugin, get_plugin
from dlterm.errors import DltermError, TrainingFailed
from dlterm.events import Emitter, FileSink
from dlterm.fileio import write_json, write_text
from dlterm.runstore import PREPROCESSING_JSON, SUMMARY_TXT, TENSORBOARD_DIR, Run, RunStore
from dlterm.tasks import get_task
from dlterm.training.budget import apply_defaults
from dlterm.training.distribute import check_strategy, is_chief, lost_worker_report, make_strategy
from dlterm.training.hparams import write_hparams


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


def train(req: TrainRequest, emitter: Emitter, stop: Any = None) -> dict[str, Any]:
    """Run training and return the summary (also emitted as the last event).

    ``stop`` is an optional :class:`GracefulStop`; by default one is made that listens
    for SIGINT/SIGTERM.
    """
    prep = prepare(req)
    held = prep.run if prep.run is not None and is_chief() else None
    if held is not None:  # the chief is the run's one writer until training ends
        held.hold("training")
    try:
        if held is not None:
            _check_unchanged(held)
        return _train(req, prep, emitter, stop)
    finally:
        if held is not None:
            held.release()


def _check_unchanged(run: Run) -> None:
    """After taking the lock: refuse if another process changed the run meanwhile."""
    from dlterm.runstore import load_run

    now = load_run(run.path)
    if now.damaged or now.meta.get("updated") != run.meta.get("updated"):
        raise DltermError(f"run {run.id} changed while this resume was starting", "check `dlterm show` and try again")
    if not run.checkpoint("last").is_file():
        raise DltermError(f"run {run.id} has no completed epoch to resume from", "start a new run instead")


def _train(req: TrainRequest, prep: Prepared, emitter: Emitter, stop: Any) -> dict[str, Any]:
    options = prep.config["training"]
    strategy_name = options.get("strategy", "default")
    check_strategy(strategy_name)
    # Data first: its errors (missing file, bad CSV) need no TensorFlow and come at once.
    bundle = datasets.load(prep.dataset, prep.config["data"], options["seed"])
    if prep.run is None:  # no --epochs: a budget from the data size (recorded in run.json, so resume keeps it)
        bundle.notes += apply_defaults(options, prep.explicit, get_task(prep.plugin.task), len(bundle.y_train), prep.monitor)
    from dlterm.keras_env import keras  # heavy: only now that the request and data are valid
    from dlterm.training.callbacks import GracefulStop

    strategy = make_strategy(strategy_name)  # before any other TensorFlow op
    keras.utils.set_random_seed(options["seed"])
    steps = max(1, math.ceil(len(bundle.y_train) / options["batch_size"]))
    chief = is_chief()
    # Non-chief workers write into a throwaway store: only the chief owns the run.
    # (``dlterm launch`` points DLTERM_WORKER_TMP at a folder it removes however workers end.)
    store = RunStore(req.models_dir if chief else tempfile.mkdtemp(prefix="dlterm-worker-", dir=os.environ.get("DLTERM_WORKER_TMP")))

    if prep.run is None:
        with strategy.scope(), _models_folder(req.models_dir):
            model = build_model(prep.plugin, bundle.spec, prep.config["hyperparameters"])
            compile_model(model, prep.plugin.task, options, steps)
        run = store.create(prep.plugin.name, {
            "plugin_source": prep.plugin.source, "plugin_origin": prep.plugin.origin,
            # Evaluate, export and predict find the plugin where training found it.
            "plugin_dirs": [os.path.abspath(os.path.expanduser(d)) for d in req.plugin_dirs],
            "task": prep.plugin.task, "dataset": prep.dataset,
            "config": prep.config, "monitor": prep.monitor, "params": int(model.count_params()),
            "sizes": bundle.sizes(), "class_names": list(bundle.spec.class_names or []),
        })
        history: list[dict[str, float]] = []
        best = None
        initial_epoch = 0
    else:
        run = prep.run
        if not chief:  # read the chief's run, write to a private copy (links copied as links)
            copy = store.root / run.id  # run.id is the (checked) folder name, never a file's value
            shutil.copytree(run.path, copy, symlinks=True, ignore=shutil.ignore_patterns("tensorboard", "exports"))
            run = Run(copy, dict(run.meta))
            run.recover()
        with strategy.scope():
            model = load_model(run.checkpoint("last"))
        initial_epoch = run.meta["epochs_completed"]
        # Rows past the recorded epoch come from a run killed before it recorded them.
        history = run.history(upto=initial_epoch)
        best = run.meta.get("best") or None
        try:
            run.update(status="running", pid=os.getpid(), host=socket.gethostname(), config=prep.config, error=None)
        except OSError as e:
            raise DltermError(f"cannot write to the run folder {run.path}: {e.strerror}",
                              "free disk space or fix the folder's permissions, then resume again") from None

    if not chief:
        emitter.sinks = []  # the chief reports for everyone
    emitter.run_id = run.id
    file_sink = FileSink(run.file("events.jsonl"))
    emitter.add(file_sink)
    try:
        return _fit(run, model, bundle, prep, steps, history, best, initial_epoch, emitter,
                    stop or GracefulStop(), resumed=prep.run is not None, strategy=strategy)
    finally:
        if file_sink in emitter.sinks:
            emitter.sinks.remove(file_sink)
        file_sink.close()
        if prep.run is None:
            run.release()  # the lock store.create took
        if not chief:  # the worker's throwaway copy of the run
            shutil.rmtree(store.root, ignore_errors=True)


@contextlib.contextmanager
def _models_folder(path: str | None):
    """Let plugins load earlier runs (``plugin_api.run_model``) from this run's models folder."""
    from dlterm import plugin_api

    def load_best(ref: str) -> Any:
        return load_model(RunStore(path).get(ref).checkpoint("best"), compile=False)

    saved = plugin_api._run_model_loader[0]
    plugin_api._run_model_loader[0] = load_best
    try:
        yield
    finally:
        plugin_api._run_model_loader[0] = saved


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


def _fit(run: Run, model: Any, bundle: Any, prep: Prepared, steps: int, history: list[dict[str, float]],
         best: dict[str, Any] | None, initial_epoch: int, emitter: Emitter, stop: Any, resumed: bool,
         strategy: Any = None) -> dict[str, Any]:
    from dlterm.checkpoints import save_model
    from dlterm.keras_env import keras
    from dlterm.training.callbacks import PatientStopping, ResumableReduceLROnPlateau, RunRecorder, TimeBudget

    options = prep.config["training"]
    emitter.emit("run_created", run_dir=str(run.path), plugin=prep.plugin.name, dataset=prep.dataset, resumed=resumed)
    emitter.emit("data_loaded", sizes=bundle.sizes(), notes=bundle.notes)
    summary_lines: list[str] = []
    model.summary(print_fn=lambda line, *a, **k: summary_lines.append(line), line_length=88)
    summary_text = "\n".join(summary_lines)
    try:
        write_text(run.file(SUMMARY_TXT), summary_text + "\n")
        write_json(run.file(PREPROCESSING_JSON), bundle.preprocessing)
    except OSError as e:  # a full disk right at the start: say so, keep the run resumable or failed
        with contextlib.suppress(OSError):
            run.update(status="failed", error=f"cannot write to the run folder: {e.strerror}", pid=None)
        raise DltermError(f"cannot write to the run folder {run.path}: {e.strerror}",
                          "free disk space or fix the folder's permissions, then train again") from None

    phases = plan_phases(prep.plugin, prep.config)
    total_epochs = sum(p.epochs for p in phases)
    run.update(epochs_planned=total_epochs)  # what listings show as done/planned (all phases)
    recorder = RunRecorder(run, emitter, prep.monitor, prep.mode, total_epochs, steps, history, best, stop)
    # The recorder goes last: it saves the others' state after they have seen the epoch.
    callbacks: list[Any] = [recorder.lr_probe]
    saved_state = run.meta.get("callback_state") if resumed and isinstance(run.meta.get("callback_state"), dict) else {}
    early = None
    if options["early_stopping"]:
        early = PatientStopping(prep.monitor, prep.mode, options["patience"], best,
                                restore=saved_state.get("early_stopping"))
        recorder.stateful["early_stopping"] = early
        callbacks.append(early)
    if options["schedule"] == "plateau":
        plateau = ResumableReduceLROnPlateau(
            restore=saved_state.get("plateau"), monitor=prep.monitor, mode=prep.mode, factor=options["plateau_factor"],
            patience=options["plateau_patience"], min_lr=options["min_lr"])
        recorder.stateful["plateau"] = plateau
        callbacks.append(plateau)
    budget = None
    if options.get("max_minutes"):
        budget = TimeBudget(options["max_minutes"])
        callbacks.append(budget)
    if options["tensorboard"]:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(run.folder(TENSORBOARD_DIR)), write_graph=False, profile_batch=0))
        if not resumed:  # the run's settings for TensorBoard's HParams tab, once
            write_hparams(run.folder(TENSORBOARD_DIR), run.id, prep.config, prep.plugin.name, prep.dataset)
    callbacks.append(recorder)

    emitter.emit("run_start", config=prep.config, params=int(model.count_params()), summary=summary_text,
                 plugin=prep.plugin.name, task=prep.plugin.task, dataset=prep.dataset,
                 epochs=total_epochs, initial_epoch=initial_epoch, steps_per_epoch=steps,
                 monitor=prep.monitor, class_names=list(bundle.spec.class_names or []),
                 strategy=options.get("strategy", "default"), replicas=strategy.num_replicas_in_sync,
                 phases=[{"name": p.name, "epochs": p.epochs} for p in phases])

    train_data, fit_kwargs = _training_input(bundle, options)
    stop.model = model
    status, error, hint = "completed", None, None
    try:
        with stop:
            for index, (phase, end) in enumerate(zip(phases, itertools.accumulate(p.epochs for p in phases))):
                start = end - phase.epochs
                if initial_epoch >= end:  # finished before this run was resumed
                    continue
                if stop.reason or recorder.bad_loss_epoch:
                    break
                if initial_epoch <= start and (index > 0 or phase.prepare or phase.learning_rate):
                    _enter_phase(model, phase, prep, options, steps, strategy)
                if len(phases) > 1:
                    recorder.phase = index + 1
                    emitter.emit("phase", name=phase.name, index=index + 1, of=len(phases), first_epoch=start + 1,
                                 last_epoch=end, learning_rate=phase.learning_rate or options["learning_rate"])
                model.fit(train_data, **fit_kwargs, epochs=end, initial_epoch=max(start, initial_epoch),
                          validation_data=(bundle.x_val, bundle.y_val), callbacks=callbacks, verbose=0)
                if budget is not None and budget.spent_at:
                    emitter.emit("early_stop", epoch=budget.spent_at, monitor=prep.monitor, best=recorder.best.get("value"),
                                 phase=phase.name, reason=f"time budget of {options['max_minutes']:g} min spent")
                    break
                if early is not None and early.stopped_epoch > 0 and not stop.reason:
                    emitter.emit("early_stop", epoch=early.stopped_epoch + 1, monitor=prep.monitor,
                                 best=recorder.best.get("value"), phase=phase.name)
    except KeyboardInterrupt:
        stop.reason = stop.reason or "SIGINT"
    except OSError as e:  # disk full, folder made read-only or removed mid-run
        status, error = "failed", f"cannot write to the run folder {run.path}: {e.strerror or e}"
        hint = "free disk space or fix the folder's permissions, then `dlterm train --resume` (the last complete epoch is kept)"
    except Exception as e:  # noqa: BLE001 - record any crash in the run, then report it
        status, error = "failed", f"training crashed: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        hint = "see events.jsonl in the run folder; rerun with --debug for the traceback"
        if options.get("strategy") == "multiworker":  # a lost peer is not a crash of this process
            error, hint = lost_worker_report(e, run.id, run.meta.get("epochs_completed", 0)) or (error, hint)
        with contextlib.suppress(OSError):
            run.update(traceback=traceback.format_exc())
    if status == "completed" and recorder.bad_loss_epoch is not None:
        status = "failed"
        error = f"the loss became NaN or infinite in epoch {recorder.bad_loss_epoch}"
        hint = "lower --learning-rate or check the data for extreme values; the best checkpoint is kept"
    elif status == "completed" and stop.reason:
        status = "interrupted"
        emitter.emit("interrupted", epoch=run.meta.get("epochs_completed", 0), reason=stop.reason)
    elif status == "completed":
        try:
            save_model(model, run.checkpoint("final"))
        except OSError as e:
            status, error = "failed", f"cannot write final.keras in {run.path}: {e.strerror or e}"
            hint = "free disk space, then `dlterm train --resume` writes it (every epoch is kept)"
        else:
            _evaluate(run, bundle, emitter, prep.plugin)
    if status == "failed":
        emitter.emit("failed", error=error, hint=hint)
    try:
        run.update(status=status, error=error, finished=time.time(), pid=None)
    except OSError:
        pass  # the disk is still full: run.json keeps its last complete state, read as interrupted
    summary = {"run_dir": str(run.path), "status": status, "epochs_completed": run.meta.get("epochs_completed", 0),
               "best": run.meta.get("best") or {}, "metrics": run.meta.get("metrics") or {}}
    if error:
        summary.update(error=error, hint=hint)
    emitter.emit("summary", **summary)
    return {"run_id": run.id, **summary}


def _evaluate(run: Run, bundle: Any, emitter: Emitter, plugin: Plugin) -> None:
    """Test-split evaluation of the best checkpoint, so every finished run has one.
    A failure here is reported, never turned into a failed run."""
    from dlterm.evaluate import evaluate_run

    try:
        result = evaluate_run(run, "best", bundle, plugin=plugin)
    except Exception as e:  # noqa: BLE001 - the trained model is what matters
        emitter.emit("evaluated", error=f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        return
    emitter.emit("evaluated", checkpoint="best", samples=result["samples"], metrics=result["metrics"])


def _training_input(bundle: Any, options: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Numpy arrays straight into fit (same path as a plain Keras script), or a tf.data
    pipeline when augmentation needs one."""
    if not options["augment"]:
        return bundle.x_train, {"y": bundle.y_train, "batch_size": options["batch_size"], "shuffle": True}
    from dlterm.keras_env import tf
    from dlterm.training.augment import augmenter

    ds = tf.data.Dataset.from_tensor_slices((bundle.x_train, bundle.y_train))
    ds = ds.shuffle(len(bundle.y_train), seed=options["seed"], reshuffle_each_iteration=True)
    ds = ds.batch(options["batch_size"]).map(augmenter(options, options["seed"]), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE), {}


def _enter_phase(model: Any, phase: Any, prep: Prepared, options: dict[str, Any], steps: int, strategy: Any) -> None:
    """Prepare the model for a phase (e.g. unfreeze layers) and compile it with a fresh optimizer."""
    if phase.prepare is not None:
        phase.prepare(model)
    phase_options = {**options, "epochs": phase.epochs, "learning_rate": phase.learning_rate or options["learning_rate"]}
    with strategy.scope():
        compile_model(model, prep.plugin.task, phase_options, steps)


def build_model(plugin: Plugin, spec: Any, hp: dict[str, Any]) -> Any:
    """Call the plugin's builder and check it returned a Keras model of the right shape."""
    from dlterm.keras_env import keras

    try:
        model = plugin.build(spec, dict(hp))
    except DltermError:
        raise
    except (Exception, SystemExit) as e:  # noqa: BLE001 - a plugin bug (even sys.exit()) must not look like dlterm
        raise TrainingFailed(f"plugin '{plugin.name}' failed to build its model: {type(e).__name__}: {e}",
                             f"fix build() in {plugin.origin}") from e
    if not isinstance(model, keras.Model):
        raise TrainingFailed(f"plugin '{plugin.name}' build() returned {type(model).__name__}, not a Keras model",
                             f"return a tf_keras Model (import keras from dlterm.keras_env) in {plugin.origin}")
    want = (None, *spec.output_shape)
    got = tuple(model.output_shape) if not isinstance(model.output_shape, list) else None
    if got != want:
        raise TrainingFailed(f"plugin '{plugin.name}' built a model with output shape {got}, but the data needs {want}",
                             f"size the last layer from spec.output_shape in {plugin.origin}")
    want_in = [(None, *i.shape) for i in spec.inputs]
    got_in = [tuple(s) for s in (model.input_shape if isinstance(model.input_shape, list) else [model.input_shape])]
    if len(got_in) != len(want_in) or any(not _shape_fits(g, w) for g, w in zip(got_in, want_in)):
        raise TrainingFailed(f"plugin '{plugin.name}' built a model with inputs {got_in}, but the data gives {want_in}",
                             f"build the inputs from spec.inputs in {plugin.origin}")
    return model


def _shape_fits(got: tuple, want: tuple) -> bool:
    return len(got) == len(want) and all(g is None or w is None or g == w for g, w in zip(got, want))


def compile_model(model: Any, task: str, options: dict[str, Any], steps_per_epoch: int) -> None:
    from dlterm.training.optim import make_optimizer

    t = get_task(task)
    model.compile(optimizer=make_optimizer(options, steps_per_epoch), loss=t.loss, metrics=list(t.metrics))
