"""Find architecture plugins and check them against the contract in :mod:`dlterm.plugin_api`.

Three sources, later ones shadowing earlier ones of the same name:

1. **builtin**: every module of the ``dlterm_plugins`` package (the repository's ``plugins/``);
2. **installed**: entry points in the group ``dlterm.plugins`` of installed distributions;
3. **user**: ``*.py`` files in the user folders: ``--plugin-dir`` options, then
   ``DLTERM_PLUGIN_PATH`` (os.pathsep-separated), else ``~/.dlterm/plugins``.

A plugin that fails to import or to validate is kept in the list as ``broken`` with the
reason; it never stops discovery of the others. Plugins are code: they run when listed.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import re
import sys
import traceback
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from dlterm.errors import DltermError
from dlterm.limits import MAX_PLUGIN_BYTES, regular_file
from dlterm.settings import HyperParameter, check_value
from dlterm.tasks import task_names
from dlterm.training_options import TRAINING_OPTION_NAMES, TRAINING_OPTIONS

ENTRY_POINT_GROUP = "dlterm.plugins"
SOURCES = ("builtin", "installed", "user")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_REQUIRED = ("NAME", "TITLE", "DESCRIPTION", "TASK", "DEFAULT_DATASET", "HYPERPARAMETERS", "build")


@dataclass
class Plugin:
    """A discovered plugin: what it declares, where it came from, and whether it is usable."""

    name: str
    source: str  # builtin | installed | user
    origin: str  # file path or entry point
    status: str = "ok"  # ok | broken | shadowed
    reason: str = ""
    title: str = ""
    description: str = ""
    task: str = ""
    default_dataset: str = ""
    hyperparameters: list[HyperParameter] = field(default_factory=list)
    training_defaults: dict[str, Any] = field(default_factory=dict)
    build: Callable[..., Any] | None = None
    phases: Callable[..., Any] | None = None  # optional hook: training in phases
    inference_parts: Callable[..., Any] | None = None  # optional hook: the models inference runs
    module: ModuleType | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "title": self.title, "task": self.task, "source": self.source,
            "status": self.status, "reason": self.reason, "origin": self.origin,
            "default_dataset": self.default_dataset, "description": self.description,
            "hyperparameters": [h.to_dict() for h in self.hyperparameters],
            "training_defaults": self.training_defaults,
        }


def user_plugin_dirs(extra: list[str | Path] | None = None) -> list[Path]:
    """The user plugin folders, in the order they are searched."""
    dirs = [Path(p).expanduser() for p in (extra or [])]
    env = os.environ.get("DLTERM_PLUGIN_PATH")
    if env:
        dirs += [Path(p).expanduser() for p in env.split(os.pathsep) if p]
    elif not extra:
        dirs.append(Path("~/.dlterm/plugins").expanduser())
    return dirs


def discover(plugin_dirs: list[str | Path] | None = None) -> list[Plugin]:
    """Every plugin from every source, sorted by name; duplicates resolved by precedence."""
    found: list[Plugin] = []
    found += _builtin()
    found += _installed()
    for folder in user_plugin_dirs(plugin_dirs):
        found += _from_folder(folder)
    return _resolve_names(found)


def get_plugin(name: str, plugin_dirs: list[str | Path] | None = None) -> Plugin:
    """The usable plugin called ``name``, or a DltermError saying why there is none."""
    plugins = discover(plugin_dirs)
    for p in plugins:
        if p.name == name and p.status != "shadowed":
            if not p.ok:
                raise DltermError(f"plugin '{name}' is broken: {p.reason}", f"fix {p.origin}")
            return p
    names = ", ".join(p.name for p in plugins if p.ok)
    raise DltermError(f"unknown plugin '{name}'", f"available: {names}; see `dlterm plugins`")


# -- sources ---------------------------------------------------------------------------

def _builtin() -> list[Plugin]:
    try:
        package = importlib.import_module("dlterm_plugins")
    except ImportError:  # an install without the builtin package: nothing to list
        return []
    out = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        origin = str(Path(package.__path__[0]) / f"{info.name}.py")
        out.append(_load(lambda n=info.name: importlib.import_module(f"dlterm_plugins.{n}"), info.name, "builtin", origin))
    return out


def _installed() -> list[Plugin]:
    out = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        origin = f"{dist.name if dist else '?'}: {ep.name} = {ep.value}"
        out.append(_load(ep.load, ep.name, "installed", origin))
    return out


def _from_folder(folder: Path) -> list[Plugin]:
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        out.append(_load(lambda p=path: _import_file(p), path.stem, "user", str(path)))
    return out


def _import_file(path: Path) -> ModuleType:
    # A FIFO or a device named *.py would hang or never end the import: regular files only.
    regular_file(path, "plugin file", "", limit=MAX_PLUGIN_BYTES)
    # A private module name per file, so two folders may both hold `mine.py`.
    mod_name = f"dlterm_user_plugins.{abs(hash(str(path.resolve())))}_{path.stem}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(mod_name, None)
        raise
    return module


# -- validation ------------------------------------------------------------------------

def _load(importer: Callable[[], Any], fallback_name: str, source: str, origin: str) -> Plugin:
    try:
        # BaseException: a plugin that calls sys.exit() or raises KeyboardInterrupt while
        # imported breaks itself, not the listing (nor every command that discovers).
        module = importer()
        name = getattr(module, "NAME", fallback_name)
        problems = _validate(module)
    except BaseException as e:  # noqa: BLE001 - any plugin error must be reported, not raised
        return Plugin(fallback_name, source, origin, "broken", _describe_import_error(e))
    plugin = Plugin(str(name), source, origin, module=module)
    if problems:
        plugin.status, plugin.reason = "broken", "; ".join(problems)
        return plugin
    plugin.title = module.TITLE
    plugin.description = " ".join(str(module.DESCRIPTION).split())
    plugin.task = module.TASK
    plugin.default_dataset = module.DEFAULT_DATASET
    plugin.hyperparameters = list(module.HYPERPARAMETERS)
    plugin.training_defaults = dict(getattr(module, "TRAINING_DEFAULTS", {}))
    plugin.build = module.build
    plugin.phases = getattr(module, "phases", None)
    plugin.inference_parts = getattr(module, "inference_parts", None)
    return plugin


def _validate(module: Any) -> list[str]:
    missing = [a for a in _REQUIRED if not hasattr(module, a)]
    if missing:
        return [f"missing {', '.join(missing)}"]
    problems = []
    if not isinstance(module.NAME, str) or not _NAME_RE.match(module.NAME):
        problems.append(f"NAME {module.NAME!r} must be lower-case letters, digits, '-' or '_'")
    for attr in ("TITLE", "DESCRIPTION", "DEFAULT_DATASET"):
        if not isinstance(getattr(module, attr), str) or not getattr(module, attr).strip():
            problems.append(f"{attr} must be a non-empty string")
    if module.TASK not in task_names():
        problems.append(f"TASK {module.TASK!r} is not one of {', '.join(task_names())}")
    if not callable(module.build):
        problems.append("build is not callable")
    for hook in ("phases", "inference_parts"):
        if hasattr(module, hook) and not callable(getattr(module, hook)):
            problems.append(f"{hook} is not callable")
    hps = module.HYPERPARAMETERS
    if not isinstance(hps, (list, tuple)) or not all(isinstance(h, HyperParameter) for h in hps):
        problems.append("HYPERPARAMETERS must be a list of Int/Float/Choice/Bool specs")
    else:
        seen = set()
        for h in hps:
            problems += h.problems()
            if h.name in seen:
                problems.append(f"hyperparameter {h.name!r} is declared twice")
            if h.name in TRAINING_OPTION_NAMES:
                problems.append(f"hyperparameter {h.name!r} clashes with the training option of that name")
            seen.add(h.name)
    defaults = getattr(module, "TRAINING_DEFAULTS", {})
    if not isinstance(defaults, dict):
        problems.append("TRAINING_DEFAULTS must be a dict")
    else:
        options = {o.name: o for o in TRAINING_OPTIONS}
        for key, value in defaults.items():
            if key not in options:
                problems.append(f"TRAINING_DEFAULTS: unknown training option {key!r}")
                continue
            try:
                check_value(options[key], value)
            except ValueError as e:
                problems.append(f"TRAINING_DEFAULTS[{key!r}]: {e}")
    return problems


def _describe_import_error(e: BaseException) -> str:
    if isinstance(e, SyntaxError):
        return f"syntax error{f' at line {e.lineno}' if e.lineno else ''}: {e.msg}"
    if isinstance(e, DltermError):  # refused by the checked reader (a FIFO, too large...)
        return e.message
    if isinstance(e, SystemExit):
        return f"it calls sys.exit({e.code!r}) while imported"
    frame = traceback.extract_tb(e.__traceback__)[-1:] if e.__traceback__ else []
    where = f" (line {frame[0].lineno})" if frame else ""
    detail = f": {e}" if str(e) else ""
    return f"import failed: {type(e).__name__}{detail}{where}"


def _resolve_names(found: list[Plugin]) -> list[Plugin]:
    """Apply precedence: the last source wins; two of one source clash and both break."""
    by_name: dict[str, list[Plugin]] = {}
    for p in found:
        by_name.setdefault(p.name, []).append(p)
    for name, group in by_name.items():
        for source in SOURCES:
            same = [p for p in group if p.source == source and p.status != "broken"]
            if len(same) > 1:
                for p in same:
                    others = ", ".join(o.origin for o in same if o is not p)
                    p.status, p.reason = "broken", f"duplicate name '{name}' (also {others})"
        winner = None
        for p in sorted(group, key=lambda p: SOURCES.index(p.source), reverse=True):
            if winner is None:
                winner = p
            elif p.status == "ok":
                p.status, p.reason = "shadowed", f"overridden by the {winner.source} plugin {winner.origin}"
    return sorted(found, key=lambda p: (p.name, SOURCES.index(p.source)))
