"""A form generated from hyperparameter specs, with inline validation."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Select, Switch

from dlterm.settings import HyperParameter, check_value
from dlterm.tui.widgets.path_suggester import PathSuggester

PATH_FIELDS = ("path",)  # text fields that name a file or folder: completed as you type


class FieldError(ValueError):
    """A field's value is invalid; ``field_id`` is the widget to focus."""

    def __init__(self, message: str, field_id: str):
        super().__init__(message)
        self.field_id = field_id


class SpecForm(Vertical):
    """One row per spec: Input (numbers, text), Select (choices) or Switch (booleans).

    ``values()`` returns only the settings the user changed from ``defaults``, as typed
    values, or raises ValueError naming the first invalid field (also marked in red).
    """

    DEFAULT_CSS = """
    SpecForm { height: auto; }
    SpecForm .row { height: auto; margin-bottom: 1; }
    SpecForm .row Label { width: 18; padding: 0 1 0 0; }
    SpecForm .row Input, SpecForm .row Select { width: 1fr; }
    SpecForm .row Switch { height: 1; border: none; padding: 0; }
    SpecForm .field-error { color: $error; height: auto; padding-left: 18; display: none; }
    SpecForm .field-error.-shown { display: block; }
    """

    def __init__(self, specs: list[HyperParameter], defaults: dict[str, Any] | None = None, prefix: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        self.specs = specs
        self.defaults = {s.name: (defaults or {}).get(s.name, s.default) for s in specs}
        self.prefix = prefix

    def field_id(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def compose(self) -> ComposeResult:
        for spec in self.specs:
            default = self.defaults[spec.name]
            with Horizontal(classes="row"):
                yield Label(spec.name)
                # Compact controls: one row per field, so 80x24 shows a dozen, not four.
                if spec.type == "bool":
                    yield Switch(value=bool(default), id=self.field_id(spec.name), tooltip=spec.help)
                elif spec.choices is not None:
                    yield Select([(str(c), c) for c in spec.choices], value=default, allow_blank=False,
                                 id=self.field_id(spec.name), tooltip=spec.help, compact=True)
                elif spec.name in PATH_FIELDS:
                    yield Input(str(default), id=self.field_id(spec.name), suggester=PathSuggester(), compact=True,
                                placeholder="type a path (the right arrow completes it)", tooltip=spec.help)
                else:
                    yield Input(str(default), id=self.field_id(spec.name), tooltip=f"{spec.help} ({spec.describe_range()})",
                                compact=True)
            yield Label("", id=f"{self.field_id(spec.name)}-error", classes="field-error")

    def on_input_changed(self, event: Input.Changed) -> None:
        spec = next((s for s in self.specs if self.field_id(s.name) == event.input.id), None)
        if spec is not None:
            try:
                self._check(spec, event.value)
            except ValueError:
                pass  # shown under the field; Train refuses until it is fixed

    def _check(self, spec: HyperParameter, raw: Any) -> Any:
        errors = self.query(f"#{self.field_id(spec.name)}-error").results(Label)
        error = next(errors, None)  # None while the form is still being mounted
        try:
            value = check_value(spec, raw)
        except ValueError as e:
            if error is not None:
                error.update(f"{spec.name}: {e}")
                error.set_class(True, "-shown")
            raise
        if error is not None:
            error.update("")
            error.set_class(False, "-shown")
        return value

    def set_value(self, name: str, value: Any) -> None:
        widget = self.query_one(f"#{self.field_id(name)}")
        if isinstance(widget, Input):
            widget.value = str(value)
        else:
            widget.value = value  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        out = {}
        for spec in self.specs:
            widget = self.query_one(f"#{self.field_id(spec.name)}")
            raw = widget.value  # type: ignore[attr-defined]
            try:
                value = self._check(spec, raw)
            except ValueError as e:
                raise FieldError(f"{spec.name}: {e}", self.field_id(spec.name)) from None
            if value != self.defaults[spec.name]:
                out[spec.name] = value
        return out
