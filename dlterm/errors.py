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
