"""Entry point: ``dlterm`` and ``python -m dlterm``.

Runs the Typer app and turns errors into one line on stderr and an exit code: 2 for bad
usage or input, 1 for failures while running, 130 for Ctrl+C. ``--debug`` (or
``DLTERM_DEBUG=1``) shows the traceback instead.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    from dlterm.cli.app import app
    from dlterm.errors import DltermError

    debug = "--debug" in sys.argv[1:] or bool(os.environ.get("DLTERM_DEBUG"))
    try:
        app()
    except DltermError as e:
        if debug:
            raise
        print(f"error: {e.message}" + (f" — {e.hint}" if e.hint else ""), file=sys.stderr)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as e:  # noqa: BLE001 - the last line of defence: never a raw traceback
        if debug:
            raise
        first = str(e).splitlines()[0] if str(e) else ""
        print(f"error: unexpected {type(e).__name__}: {first} — rerun with --debug for details", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
