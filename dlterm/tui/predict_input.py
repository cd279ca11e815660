"""What the Runs tab's "try it" field means: the typed line as predict's inputs.

The field is not a shell: paths with spaces must work unquoted when they name a file, and
``~`` must mean the home folder. Text tasks take the whole line as one text.
"""

from __future__ import annotations

import os
import shlex


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
