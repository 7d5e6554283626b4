"""The layout's rules hold (docs/architecture.md): each layer imports only those below it,
the domain runs without Prefect, no import cycles, every folder of code is a package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "planwarden"
# Cycles another branch removes: issue 11 redesigns replies (rules classify, a chain acts),
# which ends rules <-> effects. Delete the entry when that lands; nothing may be added.
KNOWN_CYCLES: list[set[str]] = []


def test_layers_and_forbidden_imports_hold() -> None:
    """import-linter's contracts, from pyproject.toml ([tool.importlinter])."""
    lint = Path(sys.executable).parent / "lint-imports"
    out = subprocess.run([str(lint), "--no-cache", "--config", str(REPO / "pyproject.toml")], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def _cycles() -> list[set[str]]:
    """Strongly connected groups of modules (Tarjan) in planwarden's import graph,
    counting imports inside functions too: a lazy import still ties two modules."""
    import grimp

    graph = grimp.build_graph("planwarden", cache_dir=None)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in graph.find_modules_directly_imported_by(module):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(group)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles() -> None:
    unexpected = [sorted(c) for c in _cycles() if c not in KNOWN_CYCLES]
    assert unexpected == []


def test_every_folder_of_code_is_a_package() -> None:
    """Without __init__.py a folder is a namespace package: setuptools leaves it out of the
    wheel and the import rules above do not see it."""
    missing = [str(d.relative_to(REPO)) for d in PACKAGE.rglob("*") if d.is_dir() and any(d.glob("*.py"))
               and not (d / "__init__.py").exists() and "migrations" not in d.parts and d.name != "__pycache__"]
    assert missing == []
