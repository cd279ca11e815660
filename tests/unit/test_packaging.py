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


def test_the_edge_wheel_builds_alone_with_its_console_script(tmp_path):
    src = tmp_path / "edge"
    shutil.copytree(REPO / "edge", src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(src)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("dlterm_edge-0.1.0-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        source = {p.relative_to(REPO / "edge").as_posix() for p in (REPO / "edge" / "dlterm_edge").glob("*.py")}
        assert "dlterm_edge/metadata.py" in source and source <= names
        entry_points = z.read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
        assert "dlterm-edge = dlterm_edge.cli:main" in entry_points
        metadata = z.read(next(n for n in names if n.endswith("METADATA"))).decode()
        requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
        assert any("onnxruntime" in r for r in requires) and not any("tensorflow" in r for r in requires)
