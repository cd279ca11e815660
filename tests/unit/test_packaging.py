import subprocess
import sys
import zipfile

from tests.conftest import REPO


def test_wheel_ships_the_builtin_plugins(tmp_path):
    """A normal (non-editable) install must carry plugins/ as dlterm_plugins."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(REPO)], check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("dlterm-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for plugin in ("cnn", "lenet5", "lstm", "gru", "simplernn", "_recurrent"):
        assert f"dlterm_plugins/{plugin}.py" in names
    assert "dlterm/cli/app.py" in names
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "dlterm = dlterm.__main__:main" in entry_points
