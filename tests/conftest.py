"""Shared test helpers: run the real CLI (in a subprocess, or in this process for the many
refusal cases), and an isolated environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "datasets"


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment with its own models folder, user plugin folder and HOME."""
    env = dict(os.environ)
    env.update({"DLTERM_HOME": str(tmp_path / "models"), "DLTERM_PLUGIN_PATH": str(tmp_path / "plugins"),
                "HOME": str(tmp_path / "home"), "NO_COLOR": "1", "COLUMNS": "200"})
    env.pop("DLTERM_DEBUG", None)
    env.update(extra)
    return env


def run_cli(args: list[str], env: dict[str, str], timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dlterm", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, **kw)


def run_cli_here(args: list[str], env: dict[str, str], timeout: float | None = None) -> subprocess.CompletedProcess:
    """The CLI's entry point, ``dlterm.__main__.main``, in this process: what ``run_cli`` does
    without starting Python and TensorFlow again (~5 s a call). For commands that end quickly:
    refusals, listings, exports of tiny runs. The environment is swapped for the call and
    restored; stdout and stderr are captured as text (TensorFlow's C++ logs, which write to
    file descriptor 2 directly, are not)."""
    import contextlib
    import io

    from dlterm.__main__ import main

    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_argv = dict(os.environ), sys.argv
    os.environ.clear()
    os.environ.update(env)
    sys.argv = ["dlterm", *args]
    code: int | str | None = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as e:
        code = e.code
    except Exception:  # noqa: BLE001 - what Python does with an uncaught error (--debug lets one through)
        import traceback

        err.write(traceback.format_exc())
        code = 1
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.argv = saved_argv
    if not isinstance(code, int):  # sys.exit("message") or sys.exit(None)
        code = 0 if code is None else 1
    return subprocess.CompletedProcess(["dlterm", *args], code, out.getvalue(), err.getvalue())


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "plugins").mkdir()
    return cli_env(tmp_path)


@pytest.fixture
def shared_datasets() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/datasets is not beside the repository")
    return SHARED


@pytest.fixture(autouse=True)
def _dashboard_settings_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard reads and writes its settings file: never the real user's."""
    monkeypatch.setenv("DLTERM_CONFIG_DIR", str(tmp_path / "dlterm-config"))
