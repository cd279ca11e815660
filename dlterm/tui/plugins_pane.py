"""Plugins tab: every discovered plugin, its description, a generated form, and Train."""

from __future__ import annotations

import os
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from dlterm.config import parse_set_options
from dlterm.datasets import DATASETS
from dlterm.discovery import Plugin, discover
from dlterm.errors import DltermError
from dlterm.tasks import get_task
from dlterm.training_options import TRAINING_OPTIONS
from dlterm.tui.widgets.form import FieldError, SpecForm

# The training options shown in the form; the rest go through "more settings".
FORM_OPTIONS = ("epochs", "batch_size", "optimizer", "learning_rate", "schedule", "early_stopping", "patience", "augment")


def dataset_label(name: str) -> str:
    """A dataset in the form's list; those that read the user's files say so."""
    info = DATASETS[name]
    return f"{name} — {info.title}" + (" (needs a path)" if info.needs_path else "")


def data_settings(dataset: str, values: dict[str, Any]) -> dict[str, Any]:
    """The data form's changed values as ``data.<setting>`` overrides, the path expanded and
    checked; raises FieldError naming the field (in the form's words, not CLI flags)."""
    info = DATASETS[dataset]
    out = {f"data.{k}": v for k, v in values.items()}
    if "path" not in {s.name for s in info.settings}:
        return out
    path = str(values.get("path", "")).strip()
    if not path:
        if info.needs_path:
            raise FieldError(f"dataset '{dataset}' reads your files: fill in its path field", "data-path")
        return out
    full = os.path.abspath(os.path.expanduser(path))  # the child may start elsewhere; ~ is not a shell here
    if not os.path.exists(full):
        raise FieldError(f"path: nothing at {full}", "data-path")
    out["data.path"] = full
    return out


class TrainRequested(Message):
    def __init__(self, plugin: str, dataset: str, settings: dict[str, Any]):
        super().__init__()
        self.plugin, self.dataset, self.settings = plugin, dataset, settings


class PluginsPane(Horizontal):
    DEFAULT_CSS = """
    PluginsPane #plugin-table { width: 42%; min-width: 30; }
    PluginsPane #plugin-detail { width: 1fr; padding: 0 1; }
    PluginsPane .section { text-style: bold; margin-top: 1; }
    PluginsPane #train-button { margin-top: 1; }
    PluginsPane #train-error { color: $error; }
    PluginsPane #hp-holder, PluginsPane #training-holder, PluginsPane #data-holder { height: auto; }
    """

    def __init__(self, plugin_dirs: list[str], **kwargs: Any):
        super().__init__(**kwargs)
        self.plugin_dirs = plugin_dirs
        self.plugins: list[Plugin] = []
        self.current: Plugin | None = None
        self.ready: Plugin | None = None  # the plugin whose form is fully built

    def compose(self) -> ComposeResult:
        yield DataTable(id="plugin-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="plugin-detail"):
            yield Static("", id="plugin-description")
            yield Label("dataset", classes="section")
            yield Select([(dataset_label(name), name) for name in DATASETS], id="dataset-select", allow_blank=False, compact=True)
            yield Vertical(id="data-holder")
            yield Label("hyperparameters", classes="section")
            yield Vertical(id="hp-holder")
            yield Label("training", classes="section")
            yield Vertical(id="training-holder")
            yield Label("more settings (key=value, space-separated, e.g. seed=7 dropout=0.2)", classes="section")
            yield Input("", id="extra-settings", placeholder="key=value ...", compact=True)
            yield Button("Train", id="train-button", variant="success")
            yield Static("", id="train-error")

    async def on_mount(self) -> None:
        table = self.query_one("#plugin-table", DataTable)
        table.add_columns("name", "status", "task", "source")  # name and status fit at 80 columns
        self.plugins = discover(self.plugin_dirs)
        for p in self.plugins:
            colour = {"ok": "green", "broken": "red", "shadowed": "yellow"}[p.status]
            table.add_row(p.name, f"[{colour}]{p.status}[/]", p.task or "-", p.source, key=f"{p.name}:{p.source}")
        first_ok = next((i for i, p in enumerate(self.plugins) if p.ok), 0)
        if self.plugins:
            table.move_cursor(row=first_ok)
            # After the first refresh: building forms inside on_mount raced Textual's start-up
            # styling and left the pane's text transparent (textual 8.2).
            self.call_after_refresh(self.show_plugin, self.plugins[first_ok])
        table.focus()  # arrow keys pick a plugin straight away

    async def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "plugin-table" and 0 <= event.cursor_row < len(self.plugins):
            await self.show_plugin(self.plugins[event.cursor_row])

    async def show_plugin(self, plugin: Plugin) -> None:
        if self.current is plugin:
            return
        self.current = plugin
        description = self.query_one("#plugin-description", Static)
        hp_holder = self.query_one("#hp-holder", Vertical)
        tr_holder = self.query_one("#training-holder", Vertical)
        # Removal completes asynchronously: await it, or the new forms' ids collide.
        await hp_holder.remove_children()
        await tr_holder.remove_children()
        self.query_one("#train-error", Static).update("")
        # Typed extras belong to the plugin they were typed for: they would break the next one.
        self.query_one("#extra-settings", Input).value = ""
        button = self.query_one("#train-button", Button)
        if not plugin.ok:
            description.update(f"[b]{plugin.name}[/] is [red]{plugin.status}[/]: {plugin.reason}\n\n{plugin.origin}")
            button.disabled = True
            return
        button.disabled = False
        description.update(f"[b]{plugin.title}[/] ({plugin.name}, {plugin.task}, {plugin.source})\n\n{plugin.description}")
        options = [(dataset_label(d.name), d.name) for d in get_task(plugin.task).datasets()]
        select = self.query_one("#dataset-select", Select)
        select.set_options(options)
        select.value = plugin.default_dataset if any(v == plugin.default_dataset for _, v in options) else options[0][1]
        await hp_holder.mount(SpecForm(plugin.hyperparameters, prefix="hp-", id="hp-form"))
        specs = [o for o in TRAINING_OPTIONS if o.name in FORM_OPTIONS]
        defaults = {o.name: plugin.training_defaults.get(o.name, o.default) for o in TRAINING_OPTIONS}
        await tr_holder.mount(SpecForm(specs, defaults, prefix="tr-", id="training-form"))
        await self.show_dataset(str(select.value))
        self.ready = plugin

    async def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "dataset-select" and isinstance(event.value, str) and self.ready is self.current:
            await self.show_dataset(event.value)

    async def show_dataset(self, name: str) -> None:
        """The chosen dataset's settings as fields (path first, completed as you type)."""
        holder = self.query_one("#data-holder", Vertical)
        form = next(iter(self.query("#data-form").results(SpecForm)), None)
        if form is not None and getattr(form, "dataset", None) == name:
            return
        await holder.remove_children()
        info = DATASETS.get(name)
        if info is None or not info.settings:
            return
        form = SpecForm(list(info.settings), prefix="data-", id="data-form")
        form.dataset = name  # type: ignore[attr-defined]
        await holder.mount(form)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "train-button":
            event.stop()
            self.request_training()

    def request_training(self) -> None:
        error = self.query_one("#train-error", Static)
        plugin = self.current
        if plugin is None or not plugin.ok:
            return
        if self.ready is not plugin:  # being rebuilt for this plugin
            self.app.notify("the form is still loading; try again")
            return
        dataset = str(self.query_one("#dataset-select", Select).value)
        try:
            settings: dict[str, Any] = {}
            data_form = next(iter(self.query("#data-form").results(SpecForm)), None)
            if data_form is not None and getattr(data_form, "dataset", None) == dataset:
                settings.update(data_settings(dataset, data_form.values()))
            elif DATASETS[dataset].needs_path:
                raise FieldError(f"dataset '{dataset}' reads your files: fill in its path field", "dataset-select")
            settings.update(self.query_one("#hp-form", SpecForm).values())
            settings.update(self.query_one("#training-form", SpecForm).values())
            # The form shows effective defaults; pass epochs always so the run says what it will do.
            settings.setdefault("epochs", self.query_one("#training-form", SpecForm).defaults["epochs"])
            extra = self.query_one("#extra-settings", Input).value.split()
            settings.update(parse_set_options(extra))
        except FieldError as e:
            self.refuse(f"fix the form first: {e}")
            self.query_one(f"#{e.field_id}").focus()  # scrolls the field into view
            return
        except ValueError as e:
            self.refuse(f"fix the form first: {e}")
            return
        except DltermError as e:
            self.refuse(f"more settings: {e.message} (write key=value, e.g. dropout=0.2)")
            return
        error.update("")
        self.post_message(TrainRequested(plugin.name, dataset, settings))

    def refuse(self, message: str) -> None:
        """Say why Train did nothing where the eye is (a toast) and under the button."""
        self.query_one("#train-error", Static).update(message)
        self.app.notify(message, title="not training yet", severity="error")
