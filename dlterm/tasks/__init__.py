"""Tasks: where datasets and architectures meet.

A task says what a model does (images in, one class out; a window in, the next value
out...) and everything that follows from it: the loss, metrics and the monitor that picks
the best epoch, which datasets serve it, how a model of it is evaluated against its
baselines, and which single metric headlines an export's verification. A dataset serves
a task, a plugin solves one, and ``dlterm train`` pairs them only when the tasks agree.

Each builtin task is one module of this package that defines ``TASK`` (a
:class:`~dlterm.tasks.base.Task`); other distributions add tasks through the entry point
group ``dlterm.tasks`` (``name = "package.module:TASK"``). Nothing outside this package
compares task names: code asks the task object instead.

Importing this package is cheap (no TensorFlow, no scikit-learn).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from importlib.metadata import entry_points

from dlterm.errors import DltermError
from dlterm.tasks.base import Task

ENTRY_POINT_GROUP = "dlterm.tasks"


@lru_cache(maxsize=1)
def all_tasks() -> dict[str, Task]:
    """Every task by name: this package's modules, then installed entry points."""
    found: dict[str, Task] = {}
    package = importlib.import_module(__name__)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        task = getattr(importlib.import_module(f"{__name__}.{info.name}"), "TASK", None)
        if isinstance(task, Task):
            found[task.name] = task
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            task = ep.load()
        except Exception:  # noqa: BLE001 - a broken third-party task must not break dlterm
            continue
        if isinstance(task, Task) and task.name not in found:
            found[task.name] = task
    return found


def get_task(name: str) -> Task:
    tasks = all_tasks()
    if name not in tasks:
        raise DltermError(f"unknown task {name!r}", f"dlterm knows: {', '.join(tasks)}")
    return tasks[name]


def task_names() -> tuple[str, ...]:
    return tuple(all_tasks())


__all__ = ["Task", "all_tasks", "get_task", "task_names"]
