"""Plugin discovery from the three sources, validation, and broken plugins."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dlterm.discovery import discover, get_plugin
from dlterm.errors import DltermError
from tests.conftest import run_cli

VALID = '''
from dlterm.plugin_api import Int
NAME = "{name}"
TITLE = "My architecture"
DESCRIPTION = "A test plugin."
TASK = "image-classification"
DEFAULT_DATASET = "shapes"
HYPERPARAMETERS = [Int("units", 8, min=1, max=64, help="units")]
def build(spec, hp):
    raise NotImplementedError
'''

BUILTINS = {"cnn", "lenet5", "lstm", "gru", "simplernn"}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    return path


def by_name(plugins, name, source=None):
    return [p for p in plugins if p.name == name and (source is None or p.source == source)]


def test_builtins_are_found_and_valid(tmp_path):
    plugins = discover([tmp_path])
    builtin = {p.name for p in plugins if p.source == "builtin"}
    assert BUILTINS <= builtin
    assert all(p.ok for p in plugins if p.name in BUILTINS)
    cnn = by_name(plugins, "cnn")[0]
    assert cnn.task == "image-classification" and cnn.default_dataset == "shapes"
    assert {h.name for h in cnn.hyperparameters} >= {"blocks", "filters", "dropout", "batch_norm"}


def test_user_plugin_is_listed_with_source_user(tmp_path):
    write(tmp_path, "mine", VALID.format(name="mine"))
    (p,) = by_name(discover([tmp_path]), "mine")
    assert (p.source, p.status, p.origin) == ("user", "ok", str(tmp_path / "mine.py"))


def test_syntax_error_is_broken_with_the_reason_and_others_still_load(tmp_path):
    write(tmp_path, "oops", "NAME = 'oops'\ndef build(:\n")
    plugins = discover([tmp_path])
    (p,) = by_name(plugins, "oops")
    assert p.status == "broken" and "syntax error at line 2" in p.reason
    assert all(q.ok for q in plugins if q.name in BUILTINS)


def test_import_error_and_missing_fields_are_broken(tmp_path):
    write(tmp_path, "crash", "raise RuntimeError('boom')\n")
    write(tmp_path, "partial", "NAME = 'partial'\nTITLE = 'x'\n")
    plugins = discover([tmp_path])
    assert "RuntimeError: boom" in by_name(plugins, "crash")[0].reason
    reason = by_name(plugins, "partial")[0].reason
    assert "missing DESCRIPTION, TASK, DEFAULT_DATASET, HYPERPARAMETERS, build" == reason


def test_invalid_declarations_are_reported(tmp_path):
    bad = VALID.format(name="Bad Name").replace('TASK = "image-classification"', 'TASK = "painting"')
    bad = bad.replace('Int("units", 8, min=1, max=64, help="units")', 'Int("units", 100, min=1, max=64), Int("epochs", 3)')
    write(tmp_path, "bad", bad)
    (p,) = by_name(discover([tmp_path]), "Bad Name")
    assert p.status == "broken"
    for fragment in ("NAME 'Bad Name'", "TASK 'painting'", "default is invalid", "clashes with the training option"):
        assert fragment in p.reason


def test_bad_training_defaults_are_reported(tmp_path):
    write(tmp_path, "td", VALID.format(name="td") + "TRAINING_DEFAULTS = {'epochs': 0, 'colour': 'red'}\n")
    (p,) = by_name(discover([tmp_path]), "td")
    assert "TRAINING_DEFAULTS['epochs']" in p.reason and "unknown training option 'colour'" in p.reason


def test_duplicate_names_in_one_source_break_both(tmp_path):
    write(tmp_path, "a", VALID.format(name="twin"))
    write(tmp_path, "b", VALID.format(name="twin"))
    twins = by_name(discover([tmp_path]), "twin")
    assert [p.status for p in twins] == ["broken", "broken"]
    assert all("duplicate name 'twin'" in p.reason for p in twins)


def test_user_plugin_shadows_builtin_of_same_name(tmp_path):
    write(tmp_path, "cnn", VALID.format(name="cnn"))
    plugins = discover([tmp_path])
    builtin, user = by_name(plugins, "cnn", "builtin")[0], by_name(plugins, "cnn", "user")[0]
    assert builtin.status == "shadowed" and "overridden by the user plugin" in builtin.reason
    assert user.ok and get_plugin("cnn", [tmp_path]).source == "user"


def test_get_plugin_errors_name_the_problem(tmp_path):
    write(tmp_path, "oops", "def build(:\n")
    with pytest.raises(DltermError) as unknown:
        get_plugin("nope", [tmp_path])
    assert "unknown plugin 'nope'" in unknown.value.message and "cnn" in unknown.value.hint
    with pytest.raises(DltermError) as broken:
        get_plugin("oops", [tmp_path])
    assert "plugin 'oops' is broken" in broken.value.message and "syntax error" in broken.value.message


def test_dlterm_plugin_path_and_cli_listing(tmp_path, env):
    plugins_dir = Path(env["DLTERM_PLUGIN_PATH"])
    write(plugins_dir, "mine", VALID.format(name="mine"))
    write(plugins_dir, "oops", "def build(:\n")
    result = run_cli(["plugins", "--json"], env)
    assert result.returncode == 0, result.stderr
    rows = {(r["name"], r["source"]): r for r in json.loads(result.stdout)}
    assert rows[("mine", "user")]["status"] == "ok"
    assert rows[("oops", "user")]["status"] == "broken" and "syntax error" in rows[("oops", "user")]["reason"]
    assert all({"name", "task", "source", "status"} <= set(r) for r in rows.values())


def test_plugin_from_an_installed_distribution_via_entry_points(tmp_path, env):
    """Build and install a real tiny distribution into a --target folder, then list it."""
    project = tmp_path / "dlterm-extra"
    (project / "dlterm_extra").mkdir(parents=True)
    (project / "dlterm_extra" / "__init__.py").write_text("")
    (project / "dlterm_extra" / "wide.py").write_text(VALID.format(name="wide"))
    (project / "pyproject.toml").write_text(textwrap.dedent('''
        [build-system]
        requires = ["setuptools"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "dlterm-extra"
        version = "1.0"
        [project.entry-points."dlterm.plugins"]
        wide = "dlterm_extra.wide"
        [tool.setuptools]
        packages = ["dlterm_extra"]
    '''))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(project)], check=True, capture_output=True, timeout=300)
    env["PYTHONPATH"] = str(target)
    result = run_cli(["plugins", "--json"], env)
    assert result.returncode == 0, result.stderr
    (row,) = [r for r in json.loads(result.stdout) if r["name"] == "wide"]
    assert row["source"] == "installed" and row["status"] == "ok"
    assert row["origin"].startswith("dlterm-extra: wide = dlterm_extra.wide")
