"""Plain-text plans that the seed text reader does not recognise: tables in the text.

Text copied out of Word or a PDF, or typed, keeps each table row on one line with the
cells separated by tabs (``1.1<TAB>Do it<TAB>Pat<TAB>May 2023``) or written as a
Markdown table (``| 1.1 | Do it | Pat |``). Runs of such lines are tables; a line
between them that reads as a heading (``2. Identifying needs``, ``## Early help``)
opens a section, other lines are the section's text. The tables are then read like
any other (``tables.read_tables``). Used only when the seed text reader finds no
actions, so the two seeds read exactly as before.
"""

from __future__ import annotations

import re

from planwarden.importing.parsed import ParsedPlan
from planwarden.importing.tables import Preview, SheetRow, Table, read_tables, split_heading

_MARKDOWN_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _cells(line: str) -> list[str] | None:
    """A table row's cells, or None for a line of prose."""
    if line.count("\t") >= 2:
        return [c.strip() for c in line.split("\t")]
    stripped = line.strip()
    if stripped.startswith("|") and stripped.count("|") >= 3:
        return [c.strip() for c in stripped.strip("|").split("|")]
    return None


def parse_text_tables(text: str, *, mapping: dict[str, str] | None = None,
                      preview: Preview | None = None) -> ParsedPlan:
    tables: list[Table] = []
    rows: list[SheetRow] = []
    headings: list[tuple[int, str]] = []
    prose: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        cells = _cells(line)
        if cells is not None:
            if not _MARKDOWN_RULE.match(line):
                rows.append(SheetRow(number, cells))
            continue
        if rows:
            tables.append(Table(rows, unit="line", headings=headings, prose="\n\n".join(prose)))
            rows, headings, prose = [], [], []
        clean = " ".join(line.lstrip("#").split())
        if not clean:
            continue
        parts = split_heading(clean)
        if line.lstrip().startswith("#") or (parts and len(clean) <= 100):
            headings.append((2 if (parts and parts[0] == "area") or line.lstrip().startswith("###") else 1, clean))
            prose = []
        else:
            prose.append(clean)
    if rows:
        tables.append(Table(rows, unit="line", headings=headings, prose="\n\n".join(prose)))
    if preview is not None:
        preview.format = "text (tables)"
    return read_tables(tables, mapping=mapping, preview=preview, text=text)
