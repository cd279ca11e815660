"""Errors a user can act on.

Every failure that comes from what the user typed or the files they gave raises
:class:`DltermError`. The CLI prints it as one line (message, then what to do) and exits
with its code; no traceback unless ``--debug``.
"""

from __future__ import annotations

USAGE = 2  # bad usage or bad input
FAILURE = 1  # something failed while running


class DltermError(Exception):
    """A problem the user can fix, with a hint saying how."""

    def __init__(self, message: str, hint: str | None = None, exit_code: int = USAGE):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class TrainingFailed(DltermError):
    """Training started but could not finish (NaN loss, builder error...)."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message, hint, exit_code=FAILURE)


def cause_of(error: BaseException, limit: int = 200) -> str:
    """The real cause of a third-party exception in one line: its message, its type only
    when the type says something (never a bare "Exception"), and, for a message-less
    wrapper, the exception it wraps (Keras's downloader re-raises a URLError as Exception)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        first = str(current).strip().splitlines()[0] if str(current).strip() else ""
        if first:
            kind = type(current).__name__
            text = first if kind == "Exception" else f"{kind}: {first}"
            return text if len(text) <= limit else text[: limit - 1] + "…"
        current = current.__cause__ or current.__context__
    return type(error).__name__
