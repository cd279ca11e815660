"""Plugins tab: every discovered plugin, its description, a generated form, and Train."""

from __future__ import annotations

import os
import shlex
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label, Select, Static, Switch

from dlterm.config import parse_set_options
from dlterm.datasets import DATASETS
from dlterm.discovery import Plugin, discover
from dlterm.errors import DltermError
from dlterm.tasks import get_task
from dlterm.training_options import TRAINING_OPTIONS
from dlterm.tui.session import train_command
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
    PluginsPane #train-buttons { height: auto; margin-top: 1; }
    PluginsPane #train-buttons Button { margin-right: 1; }
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
            with Horizontal(id="train-buttons"):
                yield Button("Train", id="train-button", variant="success")
                yield Button("Copy CLI", id="copy-button", tooltip="copy the form as a `dlterm train` command")
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
        await self.restore_form(plugin.name)
        self.ready = plugin

    async def on_select_changed(self, event: Select.Changed) -> None:
        # The select's value now, not the event's: a Changed queued while the form was built
        # (the plugin's default dataset) arrives after the last values put another one there.
        value = event.select.value
        if event.select.id == "dataset-select" and isinstance(value, str) and self.ready is self.current:
            shown = getattr(next(iter(self.query("#data-form")), None), "dataset", None)
            if value != shown:
                await self.show_dataset(value)

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
        elif event.button.id == "copy-button":
            event.stop()
            self.app.action_copy_command()  # type: ignore[attr-defined]

    def collect(self) -> tuple[str, dict[str, Any]] | None:
        """The form as (dataset, settings), or None after saying what to fix."""
        plugin = self.current
        if plugin is None or not plugin.ok:
            return None
        if self.ready is not plugin:  # being rebuilt for this plugin
            self.app.notify("the form is still loading; try again")
            return None
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
            return None
        except ValueError as e:
            self.refuse(f"fix the form first: {e}")
            return None
        except DltermError as e:
            self.refuse(f"more settings: {e.message} (write key=value, e.g. dropout=0.2)")
            return None
        self.query_one("#train-error", Static).update("")
        return dataset, settings

    def request_training(self) -> None:
        collected = self.collect()
        if collected is None or self.current is None:
            return
        dataset, settings = collected
        self.remember_form(self.current.name)
        self.post_message(TrainRequested(self.current.name, dataset, settings))

    def cli_command(self) -> str | None:
        """The form as the `dlterm train` command a shell would run (None if invalid)."""
        collected = self.collect()
        if collected is None or self.current is None:
            return None
        dataset, settings = collected
        app = self.app
        cmd = train_command(self.current.name, dataset=dataset, settings=settings,
                            models_dir=getattr(app, "models_dir", None), plugin_dirs=getattr(app, "plugin_dirs", None))
        cmd = ["dlterm", *cmd[3:]]  # not this interpreter's path
        cmd.remove("--json")
        return shlex.join(cmd)

    # -- last values per plugin (kept in the dashboard's settings file) ------------------

    FORMS = ("#data-form", "#hp-form", "#training-form")

    def form_state(self) -> dict[str, Any]:
        """Every field as typed (widget id -> value), plus the dataset and extra settings."""
        state: dict[str, Any] = {"dataset-select": self.query_one("#dataset-select", Select).value,
                                 "extra-settings": self.query_one("#extra-settings", Input).value}
        for selector in self.FORMS:
            for form in self.query(selector).results(SpecForm):
                for spec in form.specs:
                    state[form.field_id(spec.name)] = self.query_one(f"#{form.field_id(spec.name)}").value  # type: ignore[attr-defined]
        return {k: v for k, v in state.items() if isinstance(v, (str, int, float, bool))}

    def remember_form(self, plugin: str) -> None:
        saved = getattr(self.app, "user_settings", None)
        if saved is None:
            return
        saved.last[plugin] = self.form_state()
        self.app.save_settings()  # type: ignore[attr-defined]

    async def restore_form(self, plugin: str) -> None:
        """Fill in the values of this plugin's last Train; values that no longer fit are skipped."""
        saved = getattr(self.app, "user_settings", None)
        last = dict(saved.last.get(plugin, {})) if saved is not None else {}
        if not last:
            return
        select = self.query_one("#dataset-select", Select)
        dataset = last.pop("dataset-select", None)
        if isinstance(dataset, str) and any(value == dataset for _, value in select._options):
            with select.prevent(Select.Changed):
                select.value = dataset
            await self.show_dataset(dataset)
        for widget_id, value in last.items():
            widget = next(iter(self.query(f"#{widget_id}")), None) if widget_id.replace("-", "").replace("_", "").isalnum() else None
            try:
                if isinstance(widget, Input):
                    widget.value = str(value)
                elif isinstance(widget, Switch) and isinstance(value, bool):
                    widget.value = value
                elif isinstance(widget, Select):
                    widget.value = value
            except Exception:  # noqa: BLE001 - a stale choice from an older plugin version
                continue

    def refuse(self, message: str) -> None:
        """Say why Train did nothing where the eye is (a toast) and under the button."""
        self.query_one("#train-error", Static).update(message)
        self.app.notify(message, title="not training yet", severity="error")
