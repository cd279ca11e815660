"""F1: what the tabs are for, every key (as currently bound) and where settings live."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

TABS = """\
## Tabs
- **Plugins**: pick an architecture (left), then its dataset, data settings (your own files:
  the *path* field completes names as you type, → accepts), hyperparameters and training
  options. **Train** starts a run; **Copy CLI** copies the same run as a `dlterm train` command.
- **Training**: the watched run's progress, then sub-tabs: *curves* (loss and the main metric
  per epoch), *epochs* (the table) and *log* (what the training process printed). The picker
  at the top switches between runs of this session; **Stop** ends after the current batch
  and leaves a resumable run.
- **Runs**: every run in the models folder. Type in the filter to narrow the list, click a
  column header to sort. Resume, compare, delete, export (ONNX/TFLite, checked against
  Keras) and try a run on your inputs (paths with spaces and `~` work).
"""


def keys_markdown(bindings: list[tuple[str, str, str]]) -> str:
    """``[(keys, description, binding id)]`` as a Markdown table."""
    rows = "\n".join(f"| `{keys}` | {description} | `{binding_id}` |" for keys, description, binding_id in bindings)
    return ("## Keys\nSingle letters work where no field takes typing (tables, tabs, charts).\n\n"
            "| keys | does | id (for `[keys]`) |\n|---|---|---|\n" + rows + "\n"
            "| `ctrl+p` | command palette: every action above, and more | |\n")


def settings_markdown(path: str) -> str:
    return (f"## Settings\nKept in `{path}` (TOML): `theme` (changed from the palette's theme "
            "picker), `[keys]` (binding id = keys, e.g. `\"dlterm.train\" = \"ctrl+t,f5\"`) and `[last.PLUGIN]` "
            "(the form's values at your last Train, filled in again next time).\n")


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: 90%; border: thick $primary; background: $surface; }
    """
    BINDINGS = [("escape,f1,q", "dismiss", "Close")]

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown("# dlterm dashboard  (Esc closes)\n" + self.text)
