"""What the Runs tab's "try it" field means: the typed line as predict's inputs.

The field is not a shell: paths with spaces must work unquoted when they name a file, and
``~`` must mean the home folder. Text tasks take the whole line as one text.
"""

from __future__ import annotations

import os
import shlex

from dlterm.settings import Float, HyperParameter, Int

# Options of `dlterm predict` by task, shown as fields under the input (same limits as the CLI).
PREDICT_OPTIONS: dict[str, tuple[HyperParameter, ...]] = {
    "sequence-forecasting": (Int("steps", 1, min=1, max=10_000, help="how many steps ahead"),),
    "text-generation": (Int("length", 200, min=1, max=100_000, help="characters to generate"),
                        Float("temperature", 1.0, min=0.0, max=10.0, help="<1 safer, >1 wilder, 0 greedy")),
    "sequence-to-sequence": (Int("beam", 1, min=1, max=64, help="beam width (1 = greedy decoding)"),),
}


def _expand(item: str) -> str:
    """``~/x.png`` -> the home folder's x.png; anything else unchanged (values stay values)."""
    return os.path.expanduser(item) if item.startswith("~") else item


def predict_items(typed: str, text_input: bool) -> list[str]:
    """The inputs to predict from the field's text (empty list: nothing to predict).

    Text tasks: the line is one text. Others: the whole line if it names an existing file
    (a path with spaces), else shell-like words (quotes group a path with spaces), each
    ``~`` expanded. Unbalanced quotes fall back to splitting on spaces.
    """
    typed = typed.strip()
    if not typed:
        return []
    if text_input:
        return [typed]
    whole = _expand(typed)
    if os.path.isfile(whole):
        return [whole]
    try:
        words = shlex.split(typed)
    except ValueError:
        words = typed.split()
    return [_expand(w) for w in words]
