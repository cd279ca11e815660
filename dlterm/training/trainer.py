"""The training service: turn a request into a finished (or resumable) run.

Three steps, each in its own module: :mod:`~dlterm.training.plan` checks the request
(nothing written yet), this module loads the data, builds the model
(:mod:`~dlterm.training.build`) and creates or reopens the run, and
:mod:`~dlterm.training.fit` trains it and records the outcome.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import socket
import tempfile
from typing import Any

from dlterm import datasets
from dlterm.checkpoints import load_model
from dlterm.errors import DltermError
from dlterm.events import Emitter, FileSink
from dlterm.runstore import Run, RunStore
from dlterm.tasks import get_task
from dlterm.training.budget import apply_defaults
from dlterm.training.build import build_model, compile_model
from dlterm.training.distribute import check_strategy, is_chief, make_strategy
from dlterm.training.fit import FitJob, fit
from dlterm.training.plan import Prepared, TrainRequest, prepare


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
    from dlterm.training.callbacks.graceful import GracefulStop

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
        job = FitJob(run, model, bundle, prep, steps, strategy, resumed=prep.run is not None,
                     history=history, best=best, initial_epoch=initial_epoch)
        return fit(job, emitter, stop or GracefulStop())
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


