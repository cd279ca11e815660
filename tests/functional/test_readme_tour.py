"""The README's tour, run: the test fails when the README and the CLI disagree.

The tour's first bash block is run command by command in an empty folder, in-process
(typer's CliRunner: TensorFlow starts once), with the substitutions the README announces:
``--epochs 1`` and the tiny data settings of ``conftest.TINY`` in every ``train``,
``<run>`` replaced by the newest run id, ``> FILE`` written by the test, the bare
``dlterm`` (the dashboard) skipped. The
second block (your own data, downloads) is parsed against the CLI without running: every
command, option and plugin or dataset name must exist.
"""

from __future__ import annotations

import functools
import re
import shlex
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from dlterm.cli.app import app
from tests.functional.conftest import tiny

README = Path(__file__).resolve().parents[2] / "README.md"


def tour_blocks() -> list[list[list[str]]]:
    """The bash blocks of the README's "A tour" section, as argument lists (no ``dlterm``)."""
    section = README.read_text(encoding="utf-8").split("\n## A tour\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    commands = []
    for block in blocks:
        lines = [shlex.split(line, comments=True) for line in block.splitlines()]
        lines = [words[: words.index(">")] if ">" in words else words for words in lines]  # parse: no redirect
        commands.append([words[1:] for words in lines if words and words[0] == "dlterm"])
    return commands


@functools.lru_cache(maxsize=1)
def cli_command():
    return typer.main.get_command(app)


@functools.lru_cache(maxsize=1)
def plugin_names() -> frozenset[str]:
    from dlterm.discovery import discover

    return frozenset(p.name for p in discover([]) if p.ok)


def parse(args: list[str]):
    """Parse a command line against the CLI, down to its last subcommand, without running it."""
    command = cli_command()
    ctx = command.make_context("dlterm", list(args), resilient_parsing=False)
    while hasattr(command, "resolve_command"):  # a group (typer vendors its own click)
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:
            break
        name, command, rest = command.resolve_command(ctx, rest)
        ctx = command.make_context(name, rest, parent=ctx)
    return ctx


def check_names(ctx) -> None:
    """Plugin and dataset names a command mentions exist."""
    from dlterm.datasets import DATASETS

    if ctx.info_name == "train" and ctx.params.get("plugin"):
        assert ctx.params["plugin"] in plugin_names(), ctx.params["plugin"]
    if ctx.params.get("dataset"):
        assert ctx.params["dataset"] in DATASETS, ctx.params["dataset"]
    if ctx.parent is not None and ctx.parent.info_name == "datasets" and "name" in ctx.params:
        assert ctx.params["name"] in DATASETS, ctx.params["name"]


def tiny_train(args: list[str]) -> list[str]:
    """A train command with one epoch and the tests' tiny data for its plugin."""
    out, skip = [], False
    for word in args:
        if skip:
            skip = False
            continue
        if word in ("--epochs", "-e"):
            skip = True
            continue
        out.append(word)
    out += ["--epochs", "1"]
    for key, value in tiny(args[1]).items():
        out += ["--set", f"{key}={value}"]
    return out


def test_the_readme_has_a_runnable_tour_and_an_own_data_block():
    runnable, own_data = tour_blocks()
    assert len(runnable) > 15 and len(own_data) > 10
    assert ["train", "cnn", "--epochs", "5"] in runnable


def test_every_tour_command_parses_against_the_cli():
    for args in [a for block in tour_blocks() for a in block if a]:
        check_names(parse(args))


def test_an_unknown_option_in_the_readme_would_fail():
    with pytest.raises(typer.TyperException, match="--epoch"):
        parse(["train", "cnn", "--epoch", "5"])


@pytest.mark.slow
def test_the_readme_tour_runs_end_to_end(tmp_path, monkeypatch):
    from dlterm.runstore import RunStore

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DLTERM_HOME", raising=False)
    monkeypatch.delenv("DLTERM_PLUGIN_PATH", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no user plugins, no user config
    runner = CliRunner()
    section = README.read_text(encoding="utf-8").split("\n## A tour\n", 1)[1]
    redirects = dict(re.findall(r"^dlterm (.+?) > (\S+)", section, flags=re.M))  # command -> file
    for args in tour_blocks()[0]:
        if not args:
            continue  # the dashboard needs a terminal
        if args[0] == "train":
            args = tiny_train(args)
        if any("<run>" in a for a in args):
            latest = RunStore(tmp_path / "models").get("latest").id
            args = [a.replace("<run>", latest) for a in args]
        result = runner.invoke(app, args, terminal_width=100)
        assert result.exit_code == 0, f"dlterm {shlex.join(args)}: {result.output}{result.exception!r}"
        if shlex.join(args) in redirects:
            Path(redirects[shlex.join(args)]).write_text(result.output)
        assert result.output.strip() or args[0] == "delete", f"dlterm {shlex.join(args)} printed nothing"
