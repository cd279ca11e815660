"""The dlterm dashboard: a Textual client of the same CLI and event stream.

Training runs in a child ``dlterm train --json`` process per run; the UI reads its events
and never imports TensorFlow, so it stays responsive and Stop/quit are clean.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Iterable

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Select, Switch, TabbedContent, TabPane, Tabs, TextArea

from dlterm import __version__
from dlterm.tui.confirm import ConfirmScreen
from dlterm.tui.help_screen import TABS, HelpScreen, keys_markdown, settings_markdown
from dlterm.tui.plugins_pane import PluginsPane, TrainRequested
from dlterm.tui.runs_pane import ResumeRequested, RunsPane
from dlterm.tui.session import TrainingSession, train_command
from dlterm.tui.training_pane import TrainingPane
from dlterm.tui.user_settings import UserSettings, settings_path
from dlterm.tui.widgets.curves import epoch_of


class DltermApp(App[None]):
    TITLE = "dlterm"
    SUB_TITLE = f"deep learning in the terminal · {__version__}"
    BINDINGS = [
        # Ids let users rebind keys in the settings file's [keys] table.
        Binding("p", "tab('plugins')", "Plugins", id="dlterm.plugins"),
        Binding("t", "tab('training')", "Training", id="dlterm.training"),
        Binding("r", "tab('runs')", "Runs", id="dlterm.runs"),
        Binding("ctrl+t", "train", "Train", id="dlterm.train"),
        Binding("ctrl+s", "stop", "Stop", id="dlterm.stop"),
        Binding("f1", "help", "Help", id="dlterm.help"),
        Binding("q", "ask_quit", "Quit", id="dlterm.quit"),
    ]
    # Single letters act only where nothing else reads keys: in a form they would switch
    # tabs (or quit) under the user's fingers.
    LETTER_ACTIONS = ("tab", "ask_quit")
    FORM_CONTROLS = (Input, TextArea, Select, Switch, Button)

    def __init__(self, models_dir: str | None = None, plugin_dirs: list[str] | None = None):
        super().__init__()
        self.models_dir = models_dir
        self.plugin_dirs = plugin_dirs or []
        self.sessions: list[TrainingSession] = []
        self.user_settings = UserSettings.load()
        if self.user_settings.keys:
            self.set_keymap(self.user_settings.keys)

    def on_mount(self) -> None:
        saved = self.user_settings
        if saved.theme and saved.theme in self.available_themes:
            self.theme = saved.theme
        if saved.problem:
            self.notify(saved.problem, title="settings", severity="warning", timeout=10)
        self.theme_changed_signal.subscribe(self, self.remember_theme)

    def remember_theme(self, theme: Any) -> None:
        if self.user_settings.theme != theme.name:
            self.user_settings.theme = theme.name
            self.save_settings()

    def save_settings(self) -> None:
        try:
            self.user_settings.save()
        except OSError as e:  # a read-only home must not stop training
            self.notify(f"settings not saved: {e}", severity="warning")

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        keys = []
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            bound = self.user_settings.keys.get(binding.id or "", binding.key)
            keys.append((bound, binding.description, binding.id or ""))
        self.push_screen(HelpScreen(TABS + "\n" + keys_markdown(keys) + "\n" + settings_markdown(str(settings_path()))))

    def action_copy_command(self) -> None:
        command = self.query_one(PluginsPane).cli_command()
        if command:
            self.copy_to_clipboard(command)
            self.notify(command, title="copied to the clipboard")

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="plugins", id="tabs"):
            with TabPane("Plugins", id="plugins"):
                yield PluginsPane(self.plugin_dirs, id="plugins-pane")
            with TabPane("Training", id="training"):
                yield TrainingPane(id="training-pane")
            with TabPane("Runs", id="runs"):
                yield RunsPane(self.models_dir, id="runs-pane")
        yield Footer()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Plugins", "Browse architectures and train one", lambda: self.action_tab("plugins"))
        yield SystemCommand("Training", "Watch live training", lambda: self.action_tab("training"))
        yield SystemCommand("Runs", "Browse, compare, resume, export and try runs", lambda: self.action_tab("runs"))
        yield SystemCommand("Train", "Train the selected plugin with the form's settings", self.action_train)
        yield SystemCommand("Stop training", "Stop the watched run after its current batch", self.action_stop)
        yield SystemCommand("Help", "Tabs, keys and settings (F1)", self.action_help)
        yield SystemCommand("Copy as CLI command", "The Plugins form as a `dlterm train` command, to the clipboard",
                            self.action_copy_command)
        yield SystemCommand("Refresh runs", "Re-read the models folder", lambda: self.query_one(RunsPane).reload())
        yield SystemCommand("Export the selected run", "ONNX/TFLite with the Runs tab's format and quantization",
                            lambda: self.query_one(RunsPane).export_current())
        yield SystemCommand("Show the training log", "What the watched training process printed", self.show_log)
        yield SystemCommand("Settings file", f"{settings_path()}",
                            lambda: self.notify(str(settings_path()), title="dashboard settings"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.LETTER_ACTIONS and self.focused is not None:
            focused = self.focused
            if isinstance(focused, self.FORM_CONTROLS) or any(isinstance(a, Select) for a in focused.ancestors):
                return False
        return True

    def tab_focus(self, tab: str):
        """What gets the focus in a tab: never a form control, so the letter keys work there."""
        if tab == "training":
            return self.query_one("#training-views", TabbedContent).query_one(Tabs)
        return self.query_one({"plugins": "#plugin-table", "runs": "#runs-table"}[tab])

    def action_tab(self, tab: str) -> None:
        self.query_one("#tabs", TabbedContent).active = tab
        # Focus moves into the new tab: TabbedContent brings back the tab holding the focus.
        self.set_focus(self.tab_focus(tab))
        if tab == "runs":
            # Open on the run just watched (or the newest), not on an old selection.
            shown = self.query_one(TrainingPane).shown
            self.query_one(RunsPane).reload(prefer=shown.run_id if shown and shown.run_id else "")

    def show_log(self) -> None:
        self.action_tab("training")
        self.query_one("#training-views", TabbedContent).active = "log-view"

    def action_train(self) -> None:
        self.query_one(PluginsPane).request_training()

    def action_stop(self) -> None:
        shown = self.query_one(TrainingPane).shown
        if shown is not None and shown.active:
            shown.stop()
            self.notify("stopping after the current batch…")

    def on_train_requested(self, message: TrainRequested) -> None:
        cmd = train_command(message.plugin, dataset=message.dataset, settings=message.settings,
                            models_dir=self.models_dir, plugin_dirs=self.plugin_dirs)
        self.start_session(TrainingSession(f"{message.plugin} on {message.dataset}", cmd))

    def on_resume_requested(self, message: ResumeRequested) -> None:
        cmd = train_command(None, resume=message.run_id, models_dir=self.models_dir, plugin_dirs=self.plugin_dirs)
        session = TrainingSession(f"resume {message.run_id}", cmd)
        run = next((r for r in self.query_one(RunsPane).runs if r.id == message.run_id), None)
        if run is not None:  # the epochs it already has stay on the charts
            session.label = f"{run.meta.get('plugin')} on {run.meta.get('dataset')}, resumed"
            session.history = [{**row, "epoch": epoch_of(row)} for row in run.history() if epoch_of(row) is not None]
        self.start_session(session)

    def start_session(self, session: TrainingSession) -> None:
        self.sessions.append(session)
        self.query_one(TrainingPane).add_session(session)
        self.query_one("#tabs", TabbedContent).active = "training"
        # Focus must leave the Plugins form, or the tab holding the focused field comes back.
        self.set_focus(self.tab_focus("training"))
        self.watch_session(session)

    @work(group="training")
    async def watch_session(self, session: TrainingSession) -> None:
        await session.run(self.on_training_event)

    def on_training_event(self, session: TrainingSession, event: dict[str, Any]) -> None:
        if not self.is_running:
            # Closing: the panes are being taken down, and a child's last events (its failure
            # summary) can still arrive; showing them raised NoMatches from half-removed widgets.
            return
        self.query_one(TrainingPane).show_event(session, event)
        if event["event"] == "summary":
            status = event["status"]
            severity = "information" if status == "completed" else "warning" if status == "interrupted" else "error"
            self.notify(f"{session.run_id or session.label}: {status}" + (f" — {session.error}" if session.error else ""),
                        severity=severity)
            self.query_one(RunsPane).reload()

    def on_unmount(self) -> None:
        # However the app ends, no training child outlives it unwatched: Quit has already
        # stopped them; otherwise ask each to stop after its batch (the run stays resumable).
        for session in self.sessions:
            session.stop()

    def action_ask_quit(self) -> None:
        """q always asks: a stray key must not end the session."""
        if any(s.active for s in self.sessions):
            self.run_worker(self.action_quit())
            return
        self.push_screen(ConfirmScreen("Quit dlterm?"), lambda yes: yes and self.exit())

    async def action_quit(self) -> None:
        active = [s for s in self.sessions if s.active]
        if not active:
            self.exit()
            return

        async def stop_all_and_exit(yes: bool | None) -> None:
            if yes:
                self.notify("stopping training after the current batch…")
                await asyncio.gather(*(s.wait_stopped() for s in active))
                self.exit()

        self.push_screen(ConfirmScreen(f"{len(active)} training run(s) in progress. Stop (resumable) and quit?"),
                         stop_all_and_exit)


def run_app(models_dir: str | None = None, plugin_dirs: list[str] | None = None) -> None:
    DltermApp(models_dir or os.environ.get("DLTERM_HOME"), plugin_dirs).run()
