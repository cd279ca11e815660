"""Functional tests train real (tiny) models, run the real CLI, drive the dashboard with
Textual's pilot: helpers to run the trainer in-process, and the lane marker.

Every functional test is in the slow lane (each takes seconds), so the unit lane,
``pytest -m "not slow"``, is tests/unit alone and stays under a minute.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dlterm.events import Emitter

TINY_IMAGES = {"data.samples": 400}
TINY_SERIES = {"data.length": 300}
TINY = {"image-classification": TINY_IMAGES, "sequence-forecasting": TINY_SERIES,
        "text-classification": {"data.samples": 400}, "sequence-to-sequence": {"data.samples": 400},
        "text-generation": {"data.length": 12000}}


# mobilenet resizes every image to 96x96 by default: 32 is its smallest and 9x cheaper.
TINY_MODEL = {"mobilenet": {"input_size": 32}}


def tiny(plugin: str) -> dict[str, Any]:
    """Settings that make a plugin's default dataset (and a model slow at its default size)
    small enough for a test."""
    from dlterm.discovery import get_plugin

    return {**TINY[get_plugin(plugin, []).task], **TINY_MODEL.get(plugin, {})}


def pytest_collection_modifyitems(config, items) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.slow)


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == kind]


@pytest.fixture
def trainer(tmp_path: Path):
    """trainer(plugin, **overrides) -> (summary, recorder); runs land in tmp_path/models."""
    from dlterm.training.trainer import TrainRequest, train

    def run(plugin: str | None = None, plugin_dirs: list[str] | None = None, **kw: Any):
        overrides = {**(tiny(plugin) if plugin and not plugin_dirs else {}), **kw.pop("overrides", {})}
        rec = Recorder()
        req = TrainRequest(plugin=plugin, overrides=overrides, models_dir=str(tmp_path / "models"),
                           plugin_dirs=plugin_dirs or [], **kw)
        return train(req, Emitter([rec])), rec

    return run


@pytest.fixture(scope="session")
def shared_run(tmp_path_factory):
    """shared_run(plugin, **overrides) -> run folder of a tiny run trained once per test session.

    Training dominates the suite's time, so tests that only read a trained run share one.
    Treat the folder as read-only; a test that changes a run uses `run_copy` instead.
    """
    from dlterm.training.trainer import TrainRequest, train

    root = tmp_path_factory.mktemp("shared-runs")
    cache: dict[tuple, Path] = {}

    def get(plugin: str, **overrides: Any) -> Path:
        key = (plugin, tuple(sorted(overrides.items())))
        if key not in cache:
            models = root / f"m{len(cache)}"
            settings = {**tiny(plugin), "epochs": 1, **overrides}
            summary = train(TrainRequest(plugin=plugin, overrides=settings, models_dir=str(models)), Emitter([]))
            cache[key] = models / summary["run_id"]
        return cache[key]

    return get


@pytest.fixture
def run_copy(shared_run, tmp_path: Path):
    """run_copy(plugin, **overrides) -> (models_dir, run_id): a private copy of a shared tiny run."""
    import shutil

    def get(plugin: str, **overrides: Any) -> tuple[Path, str]:
        source = shared_run(plugin, **overrides)
        models = tmp_path / "models"
        models.mkdir(exist_ok=True)
        shutil.copytree(source, models / source.name, symlinks=True)
        return models, source.name

    return get
