"""Shared test helpers: run the real CLI in a subprocess, and an isolated environment."""

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
