"""The dashboard's own settings, kept between sessions: theme, key bindings and the last
values typed in each plugin's form.

One TOML file under the user's config folder (platformdirs; ``$DLTERM_CONFIG_DIR``
overrides it). The file is the user's to edit, so it is read as untrusted: a broken file
or a wrong type is reported once and ignored, never a crash; writes are atomic.

    theme = "textual-dark"
    [keys]            # binding id = keys, e.g. "dlterm.train" = "ctrl+t,f5"
    [last.cnn]        # field = value, as typed in the form
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomllib

from dlterm.fileio import read_untrusted, write_text

MAX_BYTES = 256 * 1024
FILE_NAME = "dashboard.toml"


def settings_path() -> Path:
    folder = os.environ.get("DLTERM_CONFIG_DIR")
    if not folder:
        import platformdirs

        folder = platformdirs.user_config_dir("dlterm", appauthor=False)
    return Path(folder) / FILE_NAME


Scalar = str | int | float | bool


@dataclass
class UserSettings:
    theme: str | None = None
    keys: dict[str, str] = field(default_factory=dict)
    last: dict[str, dict[str, Scalar]] = field(default_factory=dict)  # plugin -> field -> value
    problem: str | None = None  # why the file was (partly) ignored, to tell the user once

    @classmethod
    def load(cls, path: Path | None = None) -> "UserSettings":
        path = path or settings_path()
        if not path.is_file():
            return cls()
        try:
            data = tomllib.loads(read_untrusted(path, MAX_BYTES).decode("utf-8"))
        except Exception as e:  # noqa: BLE001 - any unreadable file is ignored the same way
            return cls(problem=f"{path}: ignored ({e}); fix or delete it")
        out, bad = cls(), []
        if isinstance(data.get("theme"), str):
            out.theme = data["theme"]
        elif "theme" in data:
            bad.append("theme")
        keys = data.get("keys", {})
        if isinstance(keys, dict):
            out.keys = {k: v for k, v in keys.items() if isinstance(v, str)}
            bad += [f"keys.{k}" for k, v in keys.items() if not isinstance(v, str)]
        last = data.get("last", {})
        if isinstance(last, dict):
            for plugin, values in last.items():
                if isinstance(values, dict):
                    out.last[plugin] = {k: v for k, v in values.items() if isinstance(v, (str, int, float, bool))}
        if bad:
            out.problem = f"{path}: ignored {', '.join(bad)} (wrong type)"
        return out

    def save(self, path: Path | None = None) -> None:
        path = path or settings_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text(path, self.to_toml())

    def to_toml(self) -> str:
        lines = ["# dlterm dashboard settings (written by the dashboard; safe to edit)"]
        if self.theme:
            lines.append(f"theme = {_value(self.theme)}")
        lines += ["", "[keys]"] + [f"{_key(k)} = {_value(v)}" for k, v in sorted(self.keys.items())]
        for plugin, values in sorted(self.last.items()):
            lines += ["", f"[last.{_key(plugin)}]"] + [f"{_key(k)} = {_value(v)}" for k, v in sorted(values.items())]
        return "\n".join(lines) + "\n"


def _key(name: str) -> str:
    return json.dumps(name, ensure_ascii=False)  # a quoted key is always valid TOML


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if value == value and value not in (float("inf"), float("-inf")) else json.dumps(str(value))
    return json.dumps(str(value), ensure_ascii=False)
