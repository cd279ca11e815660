"""Entry point: ``dlterm`` and ``python -m dlterm``.

Runs the Typer app and turns errors into one line on stderr and an exit code: 2 for bad
usage or input, 1 for failures while running, 130 for Ctrl+C. ``--debug`` (or
``DLTERM_DEBUG=1``) shows the traceback instead.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    import typer

    from dlterm.cli.app import app
    from dlterm.errors import DltermError

    debug = "--debug" in sys.argv[1:] or bool(os.environ.get("DLTERM_DEBUG"))
    try:
        # standalone_mode=False: usage errors come back to us, so they too are one line.
        code = app(standalone_mode=False)
        sys.exit(code if isinstance(code, int) else 0)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(130)
    except typer.TyperException as e:  # bad option value, unknown option, missing argument
        ctx = getattr(e, "ctx", None)
        where = ctx.command_path if ctx is not None else "dlterm"
        print(f"error: {e.format_message()} — see `{where} --help`", file=sys.stderr)
        sys.exit(getattr(e, "exit_code", 2))
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
