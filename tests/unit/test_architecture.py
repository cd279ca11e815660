"""The shape of the code, checked like behaviour: one-way imports, no cycles, lint-clean.

The cycle check reads every import statement with ``ast``, including the ones deferred
into functions (Python resolves those at call time, so they still tie modules together).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = [p for p in (REPO / "dlterm", REPO / "edge" / "dlterm_edge") if p.is_dir()]


def parse_in_fresh_thread(source: str) -> ast.AST:
    """ast.parse in a new thread: CPython 3.11.7 can raise "AST constructor recursion depth
    mismatch" when a thread's recursion counters were left off by earlier code (seen once in
    CI, in this test, after other tests on the same worker); a new thread starts them clean."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(ast.parse, source).result()


def module_graph(package: Path) -> dict[str, set[str]]:
    """{module: modules of the same package it imports} for every .py file under ``package``."""
    files = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        files[name] = path

    def known(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in files}
    for module, path in files.items():
        here = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(parse_in_fresh_thread(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{a.name}" if known(f"{base}.{a.name}") == f"{base}.{a.name}" else base
                           for a in node.names]
            for target in targets:
                found = known(target)
                if found and found != module:
                    graph[module].add(found)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_sees_imports_inside_functions(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg import b\n")
    (pkg / "b.py").write_text("def late():\n    from pkg.a import thing\n")
    (pkg / "c.py").write_text("from . import a\n")
    assert cycles(module_graph(pkg)) == [["pkg.a", "pkg.b"]]


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_no_import_cycles(package):
    assert cycles(module_graph(package)) == []


def test_import_contracts_hold():
    tool = Path(sys.executable).with_name("lint-imports")
    if not tool.exists():
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    proc = subprocess.run([str(tool)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_ruff_finds_nothing():
    tool = Path(sys.executable).with_name("ruff")
    if not tool.exists() and shutil.which("ruff") is None:
        pytest.skip("ruff is not installed (pip install -e '.[dev]')")
    proc = subprocess.run([str(tool if tool.exists() else "ruff"), "check", "dlterm", "plugins", "tests", "bench"]
                          + (["edge"] if (REPO / "edge").is_dir() else []),
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:]
