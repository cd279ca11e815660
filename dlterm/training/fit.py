"""Fitting: ``model.fit`` through the plugin's phases with dlterm's callbacks, and the outcome.

The outcome is one of completed (final.keras written, test split evaluated), interrupted
(Ctrl+C, SIGTERM or a stop request: resumable from the last complete epoch) or failed (NaN
loss, a full disk, a crash), always recorded in the run before :func:`fit` returns.
"""

from __future__ import annotations

import contextlib
import itertools
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from dlterm.discovery import Plugin
from dlterm.errors import DltermError
from dlterm.events import Emitter
from dlterm.fileio import write_json, write_text
from dlterm.runstore import PREPROCESSING_JSON, SUMMARY_TXT, TENSORBOARD_DIR, Run
from dlterm.training.build import compile_model
from dlterm.training.distribute import lost_worker_report
from dlterm.training.hparams import write_hparams
from dlterm.training.plan import Prepared, plan_phases


@dataclass
class FitJob:
    """A model ready to train in its run: what :func:`fit` needs, set up by the trainer."""

    run: Run
    model: Any
    bundle: Any  # the loaded dataset (dlterm.datasets.DataBundle)
    prep: Prepared
    steps: int  # batches per epoch
    strategy: Any  # the tf.distribute strategy the model was built under
    resumed: bool = False
    history: list[dict[str, float]] = field(default_factory=list)  # epochs already recorded
    best: dict[str, Any] | None = None
    initial_epoch: int = 0


def fit(job: FitJob, emitter: Emitter, stop: Any) -> dict[str, Any]:
    """Train ``job.model`` through every phase; record the outcome in the run; return the summary."""
    from dlterm.training.callbacks.recorder import RunRecorder

    run, model, bundle, prep, steps, strategy = job.run, job.model, job.bundle, job.prep, job.steps, job.strategy
    initial_epoch, resumed = job.initial_epoch, job.resumed
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
    recorder = RunRecorder(run, emitter, prep.monitor, prep.mode, total_epochs, steps, job.history, job.best, stop)
    callbacks, early, budget = _callbacks(job, recorder)

    emitter.emit("run_start", config=prep.config, params=int(model.count_params()), summary=summary_text,
                 plugin=prep.plugin.name, task=prep.plugin.task, dataset=prep.dataset,
                 epochs=total_epochs, initial_epoch=initial_epoch, steps_per_epoch=steps,
                 monitor=prep.monitor, class_names=list(bundle.spec.class_names or []),
                 strategy=options.get("strategy", "default"), replicas=strategy.num_replicas_in_sync,
                 phases=[{"name": p.name, "epochs": p.epochs} for p in phases])

    stop.model = model
    status, error, hint = _run_phases(job, phases, callbacks, recorder, early, budget, emitter, stop)
    status, error, hint = _settle(job, recorder, stop, emitter, status, error, hint)
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


def _run_phases(job: FitJob, phases: list[Any], callbacks: list[Any], recorder: Any, early: Any, budget: Any,
                emitter: Emitter, stop: Any) -> tuple[str, str | None, str | None]:
    """``model.fit`` once per phase (skipping those a resumed run finished): (status, error, hint)."""
    model, bundle, prep, steps, strategy = job.model, job.bundle, job.prep, job.steps, job.strategy
    run, initial_epoch, options = job.run, job.initial_epoch, job.prep.config["training"]
    train_data, fit_kwargs = _training_input(bundle, options)
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
    return status, error, hint


def _callbacks(job: FitJob, recorder: Any) -> tuple[list[Any], Any, Any]:
    """dlterm's callbacks for this run: (all of them, early stopping or None, time budget or None).
    The recorder goes last: it saves the others' state after they have seen the epoch."""
    from dlterm.keras_env import keras
    from dlterm.training.callbacks.plateau import ResumableReduceLROnPlateau
    from dlterm.training.callbacks.stopping import PatientStopping
    from dlterm.training.callbacks.time_budget import TimeBudget

    run, prep, options = job.run, job.prep, job.prep.config["training"]
    callbacks: list[Any] = [recorder.lr_probe]
    saved_state = run.meta.get("callback_state") if job.resumed and isinstance(run.meta.get("callback_state"), dict) else {}
    early = None
    if options["early_stopping"]:
        early = PatientStopping(prep.monitor, prep.mode, options["patience"], job.best,
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
        if not job.resumed:  # the run's settings for TensorBoard's HParams tab, once
            write_hparams(run.folder(TENSORBOARD_DIR), run.id, prep.config, prep.plugin.name, prep.dataset)
    callbacks.append(recorder)
    return callbacks, early, budget


def _settle(job: FitJob, recorder: Any, stop: Any, emitter: Emitter, status: str, error: str | None,
            hint: str | None) -> tuple[str, str | None, str | None]:
    """The run's outcome once fit returned: a NaN loss fails it, a stop request interrupts it
    (resumable), and a completed run gets final.keras and its test-split evaluation."""
    from dlterm.checkpoints import save_model

    run = job.run
    if status == "completed" and recorder.bad_loss_epoch is not None:
        status = "failed"
        error = f"the loss became NaN or infinite in epoch {recorder.bad_loss_epoch}"
        hint = "lower --learning-rate or check the data for extreme values; the best checkpoint is kept"
    elif status == "completed" and stop.reason:
        status = "interrupted"
        emitter.emit("interrupted", epoch=run.meta.get("epochs_completed", 0), reason=stop.reason)
    elif status == "completed":
        try:
            save_model(job.model, run.checkpoint("final"))
        except OSError as e:
            status, error = "failed", f"cannot write final.keras in {run.path}: {e.strerror or e}"
            hint = "free disk space, then `dlterm train --resume` writes it (every epoch is kept)"
        else:
            _evaluate(run, job.bundle, emitter, job.prep.plugin)
    return status, error, hint


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
