"""Resolve what a run will use: plugin hyperparameters, training options, dataset settings.

Layers, later ones winning: the spec defaults, the plugin's ``TRAINING_DEFAULTS``, a TOML
``--config`` file, then ``--set key=value`` and explicit CLI flags. Every value is checked
against its spec; unknown keys get a "did you mean" hint.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import tomllib

from dlterm.discovery import Plugin
from dlterm.errors import DltermError
from dlterm.limits import MAX_CONFIG_BYTES, read_bytes
from dlterm.settings import HyperParameter, check_value
from dlterm.tasks import get_task
from dlterm.training_options import TRAINING_OPTIONS

CONFIG_TABLES = ("hyperparameters", "training", "data")
CONFIG_KEYS = ("plugin", "dataset")


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a TOML config: top-level ``plugin``/``dataset`` and the three tables of plain values."""
    path = Path(path).expanduser()
    raw = read_bytes(path, MAX_CONFIG_BYTES, "config file", "give a .toml file to --config")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise DltermError(f"config file {path} is not valid TOML: {e}", "fix the syntax (see the README's config example)") from None
    except RecursionError:  # tomllib recurses once per nested table or array
        raise DltermError(f"config file {path} is nested too deeply", "a config has three flat tables: "
                          f"{', '.join(f'[{t}]' for t in CONFIG_TABLES)}") from None
    for key, value in data.items():
        if key in CONFIG_TABLES:
            if not isinstance(value, dict):
                raise DltermError(f"config file {path}: [{key}] must be a table", f"write it as [{key}] with key = value lines")
            for name, item in value.items():
                if not isinstance(item, (str, int, float, bool)):  # no arrays, tables or dates
                    raise DltermError(f"config file {path}: {key}.{name} must be a number, text or true/false, "
                                      f"not {_toml_type(item)}", f"write {name} = VALUE in [{key}]")
        elif key in CONFIG_KEYS:
            if not isinstance(value, str):
                raise DltermError(f"config file {path}: {key} must be a string", f'write {key} = "name"')
        else:
            raise DltermError(f"config file {path}: unknown key {key!r}",
                              f"allowed: {', '.join(CONFIG_KEYS + CONFIG_TABLES)}")
    path_value = data.get("data", {}).get("path")
    if path_value is not None and not isinstance(path_value, str):
        raise DltermError(f"config file {path}: data.path must be text, not {_toml_type(path_value)}",
                          'write path = "folder/or/file" in [data]')
    return data


def _toml_type(value: Any) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", str: "text", list: "an array", dict: "a table"}
    return names.get(type(value), f"a {type(value).__name__}")


def parse_set_options(items: list[str]) -> dict[str, str]:
    """``["epochs=3", "data.window=12"]`` -> ``{"epochs": "3", "data.window": "12"}``."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise DltermError(f"--set {item!r} is not key=value", "write it as --set filters=64")
        out[key.strip()] = value.strip()
    return out


def resolve(plugin: Plugin, config: dict[str, Any], overrides: dict[str, Any],
            explicit: set[str] | None = None) -> dict[str, dict[str, Any]]:
    """Return ``{"hyperparameters": {...}, "training": {...}, "data": {...}}``, all validated.

    ``overrides`` keys are a hyperparameter or training option name, optionally prefixed
    ``hp.``/``training.``, or ``data.<setting>`` for the dataset. ``explicit``, when given,
    receives the names the config file and overrides set (the rest are defaults, which
    some rules fill in later from the data, e.g. the epoch budget).
    """
    hp_specs = {h.name: h for h in plugin.hyperparameters}
    tr_specs = {o.name: o for o in TRAINING_OPTIONS}
    hp = {name: spec.default for name, spec in hp_specs.items()}
    training = {name: spec.default for name, spec in tr_specs.items()}
    training.update(plugin.training_defaults)
    data: dict[str, Any] = {}
    explicit = set() if explicit is None else explicit

    def apply(table: dict[str, Any], specs: dict[str, HyperParameter], key: str, value: Any, where: str) -> None:
        if key not in specs:
            raise DltermError(f"unknown {where} {key!r} for plugin '{plugin.name}'", _did_you_mean(key, list(hp_specs) + list(tr_specs)))
        try:
            table[key] = check_value(specs[key], value)
        except ValueError as e:
            raise DltermError(f"invalid {where} {key}: {e}", f"allowed: {specs[key].describe_range()}") from None
        explicit.add(key)

    for key, value in config.get("hyperparameters", {}).items():
        apply(hp, hp_specs, key, value, "hyperparameter")
    for key, value in config.get("training", {}).items():
        apply(training, tr_specs, key, value, "training option")
    data.update(config.get("data", {}))

    for key, value in overrides.items():
        if key.startswith("data."):
            data[key[5:]] = value
        elif key.startswith("hp.") or key in hp_specs:
            apply(hp, hp_specs, key.removeprefix("hp."), value, "hyperparameter")
        elif key.startswith("training.") or key in tr_specs:
            apply(training, tr_specs, key.removeprefix("training."), value, "training option")
        else:
            raise DltermError(f"unknown setting {key!r} for plugin '{plugin.name}'", _did_you_mean(key, list(hp_specs) + list(tr_specs)))

    _check_conflicts(plugin, training, explicit)
    return {"hyperparameters": hp, "training": training, "data": data}


def _check_conflicts(plugin: Plugin, training: dict[str, Any], explicit: set[str]) -> None:
    if "momentum" in explicit and training["optimizer"] != "sgd":
        raise DltermError(f"momentum only applies to the sgd optimizer, not {training['optimizer']}",
                          "add --optimizer sgd or drop the momentum setting")
    for key, schedule in (("decay_rate", "exponential"), ("plateau_factor", "plateau"), ("plateau_patience", "plateau")):
        if key in explicit and training["schedule"] != schedule:
            raise DltermError(f"{key} only applies to --schedule {schedule}, not {training['schedule']}",
                              f"add --schedule {schedule} or drop {key}")
    if training["augment"] and not get_task(plugin.task).augmentable:
        raise DltermError(f"augmentation is for images; plugin '{plugin.name}' does {plugin.task}",
                          "drop --augment")
    if "patience" in explicit and not training["early_stopping"]:
        raise DltermError("patience is set but early stopping is off", "drop --no-early-stopping or the patience setting")


def _did_you_mean(key: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(key.split(".")[-1], candidates, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return hint + "see `dlterm plugins show PLUGIN` for the settings"
