"""Path completion for a form field: typing a path suggests the rest of a name that exists.

Textual shows the suggestion greyed out after the cursor; Right arrow (or End) accepts it.
Reads one directory listing per keystroke, never follows anything outside the typed folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from textual.suggester import Suggester

MAX_ENTRIES = 2000  # a huge folder is not listed past this: completion must stay instant


def complete_path(typed: str) -> str | None:
    """``typed`` extended to the first existing entry it is a prefix of (folders end in ``/``).

    ``~`` is kept as typed (the field expands it on use). None when nothing matches.
    """
    if not typed:
        return None
    expanded = os.path.expanduser(typed)
    folder, sep, stem = expanded.rpartition(os.sep)
    directory = Path(folder or os.sep) if sep else Path(".")
    try:
        names = []
        with os.scandir(directory) as entries:
            for i, entry in enumerate(entries):
                if i >= MAX_ENTRIES:
                    break
                if entry.name.startswith(stem) and (stem.startswith(".") or not entry.name.startswith(".")):
                    names.append((entry.name, entry.is_dir()))
    except OSError:
        return None
    names = [n for n in names if n[0] != stem or n[1]]
    if not names:
        return None
    name, is_dir = min(names)
    rest = name[len(stem):] + (os.sep if is_dir else "")
    return typed + rest if rest else None


class PathSuggester(Suggester):
    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)  # the disk changes under us

    async def get_suggestion(self, value: str) -> str | None:
        return complete_path(value)
