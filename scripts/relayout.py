#!/usr/bin/env python3
"""Rewrite imports of the pre-layout module paths (issue 12) in the given files.

The loose root modules of ``planwarden/`` moved into subpackages named for the loop.
Branches started before the move run this over the files they touched after merging
main; it is idempotent and only rewrites whole dotted module names.

    python scripts/relayout.py $(git diff --name-only main...HEAD)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

MOVES: dict[str, str] = {
    "planwarden.clock": "planwarden.core.clock",
    "planwarden.config": "planwarden.core.config",
    "planwarden.configref": "planwarden.core.configref",
    "planwarden.db": "planwarden.core.db",
    "planwarden.log": "planwarden.core.log",
    "planwarden.migrations": "planwarden.core.migrations",
    "planwarden.models": "planwarden.plan.models",
    "planwarden.store": "planwarden.plan.store",
    "planwarden.queries": "planwarden.plan.queries",
    "planwarden.decisions": "planwarden.plan.decisions",
    "planwarden.dates": "planwarden.plan.dates",
    "planwarden.directory": "planwarden.plan.directory",
    "planwarden.export": "planwarden.plan.export",
    "planwarden.rag": "planwarden.plan.rag",
    "planwarden.governance": "planwarden.calendar.governance",
    "planwarden.emails": "planwarden.mail.emails",
    "planwarden.service": "planwarden.orchestration.service",
    "planwarden.runs": "planwarden.orchestration.runs",
    "planwarden.status": "planwarden.orchestration.status",
    "planwarden.demo": "planwarden.orchestration.demo",
    "flows": "planwarden.orchestration.flows",
    "tasks": "planwarden.orchestration.tasks",
}
# Names that left planwarden.store for planwarden.importing.writer.
WRITER_NAMES = ("PlanWriter", "WriteResult")
# Also file names (planwarden.db, planwarden.service) or common words: only rewritten in
# import lines, patch targets and attribute access.
AMBIGUOUS = {"flows", "tasks", "planwarden.db", "planwarden.service", "planwarden.log"}

_OLD = "|".join(re.escape(k) for k in sorted(MOVES, key=len, reverse=True))
# A dotted name starting at a word boundary that is not itself preceded by a dot.
PATTERN = re.compile(rf"(?<![\w.])({_OLD})(?=[.\s:'\",)\]]|$)", re.M)
FROM_IMPORT = re.compile(r"^(\s*)from (planwarden)( import )(.+)$", re.M)
SHORT = {old.rsplit(".", 1)[1]: new for old, new in MOVES.items() if old.startswith("planwarden.")}


def _from_planwarden(match: re.Match[str]) -> str:
    """``from planwarden import clock, log`` -> one line per moved module."""
    indent, names = match.group(1), [n.strip() for n in match.group(4).split(",")]
    moved = [n for n in names if n.split(" as ")[0] in SHORT]
    if not moved or "(" in match.group(4):
        return match.group(0)
    lines = []
    for name in moved:
        base = name.split(" as ")[0]
        package, module = SHORT[base].rsplit(".", 1)
        lines.append(f"{indent}from {package} import {name}")
    rest = [n for n in names if n not in moved]
    if rest:
        lines.insert(0, f"{indent}from planwarden import {', '.join(rest)}")
    return "\n".join(lines)


def _only_code_names(text: str, path: Path) -> str:
    """Rewrite moved module names; ambiguous ones only where they are clearly code."""
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in AMBIGUOUS:
            line_start = text.rfind("\n", 0, match.start()) + 1
            line = text[line_start:text.find("\n", match.start()) if "\n" in text[match.start():] else len(text)]
            attribute = re.match(r"\.[A-Za-z_]", text[match.end():match.end() + 2])
            if not re.match(r"\s*(from|import)\s", line) and "patch(" not in line and not attribute:
                return name
        return MOVES[name]
    return PATTERN.sub(sub, text)


def _writer(text: str) -> str:
    """Imports of PlanWriter/WriteResult from the store now come from importing.writer."""
    def sub(match: re.Match[str]) -> str:
        indent, names = match.group(1), [n.strip() for n in match.group(2).split(",")]
        moved = [n for n in names if n in WRITER_NAMES]
        if not moved:
            return match.group(0)
        rest = [n for n in names if n not in moved]
        lines = [f"{indent}from planwarden.importing.writer import {', '.join(moved)}"]
        if rest:
            lines.insert(0, f"{indent}from planwarden.plan.store import {', '.join(rest)}")
        return "\n".join(lines)
    return re.sub(r"^(\s*)from planwarden\.plan\.store import ([^(\n]+)$", sub, text, flags=re.M)


def rewrite(text: str, path: Path) -> str:
    text = FROM_IMPORT.sub(_from_planwarden, text)
    text = _only_code_names(text, path)
    return _writer(text)


def main(argv: list[str]) -> int:
    for name in argv:
        path = Path(name)
        if not path.is_file() or path.suffix not in {".py", ".toml", ".yaml", ".yml", ".md", ".ini", ".cfg", ".txt"}:
            continue
        if path.resolve() == Path(__file__).resolve():
            continue
        old = path.read_text(encoding="utf-8")
        new = rewrite(old, path)
        if new != old:
            path.write_text(new, encoding="utf-8")
            print(f"rewrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
