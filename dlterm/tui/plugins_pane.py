"""Plugins tab: every discovered plugin, its description, a generated form, and Train."""

from __future__ import annotations

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
from dlterm.tui.widgets.form import SpecForm

# The training options shown in the form; the rest go through "more settings".
FORM_OPTIONS = ("epochs", "batch_size", "optimizer", "learning_rate", "schedule", "early_stopping", "patience", "augment")


class TrainRequested(Message):
    def __init__(self, plugin: str, dataset: str, settings: dict[str, Any]):
        super().__init__()
        self.plugin, self.dataset, self.settings = plugin, dataset, settings


class PluginsPane(Horizontal):
    DEFAULT_CSS = """
    PluginsPane #plugin-table { width: 42%; min-width: 30; }
    PluginsPane #plugin-detail { width: 1fr; padding: 0 1; }
    PluginsPane .section { text-style: bold; margin-top: 1; }
    PluginsPane #train-error { color: $error; }
    PluginsPane #hp-holder, PluginsPane #training-holder { height: auto; }
    """

    def __init__(self, plugin_dirs: list[str], **kwargs: Any):
        super().__init__(**kwargs)
        self.plugin_dirs = plugin_dirs
        self.plugins: list[Plugin] = []
        self.current: Plugin | None = None

    def compose(self) -> ComposeResult:
        yield DataTable(id="plugin-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="plugin-detail"):
            yield Static("", id="plugin-description")
            yield Label("dataset", classes="section")
            yield Select([(name, name) for name in DATASETS], id="dataset-select", allow_blank=False)
            yield Label("hyperparameters", classes="section")
            yield Vertical(id="hp-holder")
            yield Label("training", classes="section")
            yield Vertical(id="training-holder")
            yield Label("more settings (key=value, space-separated, e.g. data.samples=500 shift=0.2)", classes="section")
            yield Input("", id="extra-settings", placeholder="key=value ...")
            yield Button("Train", id="train-button", variant="success")
            yield Static("", id="train-error")

    async def on_mount(self) -> None:
        table = self.query_one("#plugin-table", DataTable)
        table.add_columns("name", "task", "source", "status")
        self.plugins = discover(self.plugin_dirs)
        for p in self.plugins:
            colour = {"ok": "green", "broken": "red", "shadowed": "yellow"}[p.status]
            table.add_row(p.name, p.task or "-", p.source, f"[{colour}]{p.status}[/]", key=f"{p.name}:{p.source}")
        first_ok = next((i for i, p in enumerate(self.plugins) if p.ok), 0)
        if self.plugins:
            table.move_cursor(row=first_ok)
            await self.show_plugin(self.plugins[first_ok])
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
        button = self.query_one("#train-button", Button)
        if not plugin.ok:
            description.update(f"[b]{plugin.name}[/] is [red]{plugin.status}[/]: {plugin.reason}\n\n{plugin.origin}")
            button.disabled = True
            return
        button.disabled = False
        description.update(f"[b]{plugin.title}[/] ({plugin.name}, {plugin.task}, {plugin.source})\n\n{plugin.description}")
        options = [(f"{d.name} — {d.title}", d.name) for d in get_task(plugin.task).datasets()]
        select = self.query_one("#dataset-select", Select)
        select.set_options(options)
        select.value = plugin.default_dataset if any(v == plugin.default_dataset for _, v in options) else options[0][1]
        await hp_holder.mount(SpecForm(plugin.hyperparameters, prefix="hp-", id="hp-form"))
        specs = [o for o in TRAINING_OPTIONS if o.name in FORM_OPTIONS]
        defaults = {o.name: plugin.training_defaults.get(o.name, o.default) for o in TRAINING_OPTIONS}
        await tr_holder.mount(SpecForm(specs, defaults, prefix="tr-", id="training-form"))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "train-button":
            event.stop()
            self.request_training()

    def request_training(self) -> None:
        error = self.query_one("#train-error", Static)
        plugin = self.current
        if plugin is None or not plugin.ok:
            return
        if not (self.query("#hp-form") and self.query("#training-form")):  # being rebuilt for this plugin
            self.app.notify("the form is still loading; try again")
            return
        try:
            settings: dict[str, Any] = {}
            settings.update(self.query_one("#hp-form", SpecForm).values())
            settings.update(self.query_one("#training-form", SpecForm).values())
            # The form shows effective defaults; pass epochs always so the run says what it will do.
            settings.setdefault("epochs", self.query_one("#training-form", SpecForm).defaults["epochs"])
            extra = self.query_one("#extra-settings", Input).value.split()
            settings.update(parse_set_options(extra))
        except ValueError as e:
            error.update(f"fix the form first: {e}")
            return
        except DltermError as e:
            error.update(f"{e.message} — {e.hint}")
            return
        error.update("")
        dataset = self.query_one("#dataset-select", Select).value
        self.post_message(TrainRequested(plugin.name, str(dataset), settings))
