"""The wheel users install carries every module of the source tree (an editable install
would hide a forgotten subpackage: `pip install .` once shipped without the dashboard)."""

import shutil
import subprocess
import sys
import zipfile

from tests.conftest import REPO


def _wheel_names(tmp_path) -> set[str]:
    # Build from a clean copy: a stale build/ folder would hand setuptools modules the
    # package list no longer names, and hide exactly the bug this test is for.
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "models", "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(src)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("dlterm-*.whl")
    return set(zipfile.ZipFile(wheel).namelist())


def test_wheel_holds_every_source_module_and_the_entry_point(tmp_path):
    names = _wheel_names(tmp_path)
    source = {p.relative_to(REPO).as_posix() for p in (REPO / "dlterm").rglob("*.py")}
    assert source, "no sources found"
    missing = sorted(source - names)
    assert not missing, f"the wheel lacks {missing}"
    plugins = {f"dlterm_plugins/{p.name}" for p in (REPO / "plugins").glob("*.py")}
    assert plugins and plugins <= names
    assert "dlterm/tui/app.py" in names and "dlterm/tui/widgets/curves.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    with zipfile.ZipFile(next(tmp_path.glob("dlterm-*.whl"))) as z:
        assert "dlterm = dlterm.__main__:main" in z.read(entry_points).decode()
