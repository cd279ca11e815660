"""Typed settings: hyperparameters, training options and dataset settings share one spec.

A :class:`HyperParameter` declares a setting's type, default, range or choices and a help
line; :func:`check_value` turns what a user typed (``--set``, a form field) or wrote (TOML)
into a checked value, or says in one line why it cannot. Plugins declare their
hyperparameters with ``Int``/``Float``/``Choice``/``Bool``; dlterm declares its training
options and dataset settings the same way, so the CLI, the config file and the dashboard's
forms all validate alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


@dataclass(frozen=True)
class HyperParameter:
    """One tunable setting: its type, default, allowed values and a help line."""

    name: str
    type: str  # "int", "float", "str" or "bool"
    default: Any
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] | None = None

    def describe_range(self) -> str:
        if self.choices is not None:
            return "|".join(str(c) for c in self.choices)
        if self.type == "bool":
            return "true|false"
        lo = "-inf" if self.min is None else _fmt(self.min)
        hi = "inf" if self.max is None else _fmt(self.max)
        return f"[{lo}, {hi}]" if (self.min is not None or self.max is not None) else self.type

    def problems(self) -> list[str]:
        """What is wrong with this spec (empty when it is valid)."""
        out = []
        if not isinstance(self.name, str) or not self.name.isidentifier():
            out.append(f"hyperparameter name {self.name!r} is not an identifier")
        if self.type not in _TYPES:
            out.append(f"{self.name}: type {self.type!r} is not one of {', '.join(_TYPES)}")
            return out
        if self.choices is not None and self.default not in self.choices:
            out.append(f"{self.name}: default {self.default!r} is not among its choices")
        if self.min is not None and self.max is not None and self.min > self.max:
            out.append(f"{self.name}: min {self.min} is above max {self.max}")
        try:
            check_value(self, self.default)
        except ValueError as e:
            out.append(f"{self.name}: default is invalid: {e}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "type": self.type, "default": self.default, "help": self.help,
            "min": self.min, "max": self.max,
            "choices": list(self.choices) if self.choices is not None else None,
        }


def Int(name: str, default: int, *, min: int | None = None, max: int | None = None, help: str = "") -> HyperParameter:
    return HyperParameter(name, "int", default, help, min, max)


def Float(name: str, default: float, *, min: float | None = None, max: float | None = None, help: str = "") -> HyperParameter:
    return HyperParameter(name, "float", default, help, min, max)


def Choice(name: str, default: str, choices: list[str] | tuple[str, ...], *, help: str = "") -> HyperParameter:
    return HyperParameter(name, "str", default, help, choices=tuple(choices))


def Bool(name: str, default: bool, *, help: str = "") -> HyperParameter:
    return HyperParameter(name, "bool", default, help)


def check_value(param: HyperParameter, value: Any) -> Any:
    """Return ``value`` converted to the parameter's type, or raise ValueError saying why.

    Strings (from ``--set`` or a form field) are parsed; typed values (from TOML) are
    checked. An int is accepted where a float is expected, never the other way round.
    """
    kind = param.type
    if isinstance(value, str) and kind != "str":
        value = _parse(kind, value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {value!r}")
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise ValueError(f"expected a whole number, got {value!r}")
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"expected a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {value!r}")
    elif kind == "str" and not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    if param.choices is not None and value not in param.choices:
        raise ValueError(f"{value!r} is not one of {', '.join(map(str, param.choices))}")
    if param.min is not None and value < param.min:
        raise ValueError(f"{value} is below the minimum {_fmt(param.min)}")
    if param.max is not None and value > param.max:
        raise ValueError(f"{value} is above the maximum {_fmt(param.max)}")
    return value


def _parse(kind: str, text: str) -> Any:
    text = text.strip()
    if kind == "bool":
        low = text.lower()
        if low in ("true", "yes", "on", "1"):
            return True
        if low in ("false", "no", "off", "0"):
            return False
        raise ValueError(f"expected true or false, got {text!r}")
    try:
        return int(text) if kind == "int" else float(text)
    except ValueError:
        raise ValueError(f"expected {'a whole number' if kind == 'int' else 'a number'}, got {text!r}") from None


def _fmt(x: float) -> str:
    return f"{x:g}"
