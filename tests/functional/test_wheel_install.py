"""The package users install works: the wheels built, installed non-editable into a fresh
venv, train and open the dashboard from a folder outside the repository.

The fresh venv reuses the test venv's big dependencies (TensorFlow, textual...) through a
``.pth`` file naming the test venv's site-packages instead of installing them again. The
``.pth`` files inside a folder added that way are not processed, so the test venv's
editable dlterm stays invisible: only the installed wheel can answer.
"""

import json
import shutil
import subprocess
import sys
import sysconfig
import textwrap

import pytest

from tests.conftest import REPO, cli_env

pytestmark = pytest.mark.slow

IGNORE = shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "models", "__pycache__", ".pytest_cache")


def _build_wheels(tmp_path):
    src = tmp_path / "src"  # a clean copy: a stale build/ could hide a missing module
    shutil.copytree(REPO, src, ignore=IGNORE)
    wheels = tmp_path / "wheels"
    projects = [src] + ([src / "edge"] if (src / "edge" / "pyproject.toml").is_file() else [])
    for project in projects:
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                        "-w", str(wheels), str(project)], check=True, capture_output=True, timeout=600)
    return sorted(wheels.glob("*.whl"))


def test_the_installed_wheel_trains_and_opens_the_dashboard(tmp_path):
    wheels = _build_wheels(tmp_path)
    assert any(w.name.startswith("dlterm-") for w in wheels)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (venv / "lib").joinpath(site.split("/lib/", 1)[1], "test_venv_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", *map(str, wheels)], check=True, capture_output=True, timeout=300)

    work = tmp_path / "elsewhere"  # not the repository: nothing can be imported from the source tree
    work.mkdir()
    (tmp_path / "plugins").mkdir()
    env = cli_env(tmp_path)
    env.pop("PYTHONPATH", None)
    where = subprocess.run([str(python), "-c", "import dlterm, dlterm_plugins; print(dlterm.__file__); "
                            "print(dlterm_plugins.__file__)"], cwd=work, env=env, capture_output=True, text=True)
    assert where.returncode == 0, where.stderr
    for path in where.stdout.split():
        assert path.startswith(str(venv)) and not path.startswith(str(REPO)), path

    train = subprocess.run([str(venv / "bin" / "dlterm"), "train", "cnn", "--epochs", "1", "--set", "data.samples=200",
                            "--json"], cwd=work, env=env, capture_output=True, text=True, timeout=600,
                           stdin=subprocess.DEVNULL)
    assert train.returncode == 0, train.stderr
    summary = json.loads(train.stdout.strip().splitlines()[-1])
    assert summary["status"] == "completed" and (tmp_path / "models" / summary["run_id"] / "best.keras").is_file()

    dashboard = textwrap.dedent(f"""
        import asyncio, dlterm
        from textual.widgets import DataTable, TabbedContent
        from dlterm.tui.app import DltermApp
        from dlterm.tui.plugins_pane import PluginsPane

        async def main():
            app = DltermApp({str(tmp_path / 'models')!r}, [])
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.pause()
                assert app.query_one("#tabs", TabbedContent).active == "plugins"
                names = [p.name for p in app.query_one(PluginsPane).plugins if p.ok]
                rows = app.query_one("#plugin-table", DataTable).row_count
                print(dlterm.__file__, rows, " ".join(names))

        asyncio.run(main())
    """)
    ui = subprocess.run([str(python), "-c", dashboard], cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert ui.returncode == 0, ui.stderr
    module, rows, *names = ui.stdout.split()
    assert module.startswith(str(venv)) and "cnn" in names and int(rows) >= len(names) > 1
