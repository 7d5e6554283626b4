"""Word (.docx) and text-based PDF plans, turned into tables for ``tables.read_tables``.

Word: every table of the document in order, with the headings above it (Heading 1 opens
a section, Heading 2 and below an area; a short bold or numbered paragraph counts as a
heading too) and the paragraphs between the last heading and the table (kept as the
area's findings). A cell merged across columns keeps its text in its first column; a
cell merged down rows (``vMerge``) is given as a merged range, so an owner merged over
three actions belongs to each and a merged Ref makes one action of its rows. A table
continued after a page break is the same Word table; a second table with the same
columns and no header row continues the first.

PDF (pdfplumber): the tables found on each page, in order; a table on the next page
without a header row continues the previous one, and a header row repeated at the top
of a page is skipped. Text lines above a table that look like headings
(``2. Identifying needs``) open sections; running page headers and page numbers are
outside the tables and never read as actions. Scanned PDFs (no text) are refused.
"""

from __future__ import annotations

import io
import re
from typing import Any

from planwarden.importing.errors import ImportFormatError, scrub
from planwarden.plan.rag import colour_of_fill, parse_rating
from planwarden.importing.parsed import ParsedPlan
from planwarden.importing.tables import Preview, SheetRow, Table, read_tables, split_heading, titles_above_header

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d+(?:\s+(?:of|/)\s+\d+)?$", re.I)


# --------------------------------------------------------------------------- Word


def parse_docx(data: bytes, *, mapping: dict[str, str] | None = None, preview: Preview | None = None) -> ParsedPlan:
    """A plan from the tables of a Word document."""
    from docx import Document
    from docx.table import Table as DocxTable
    from docx.text.paragraph import Paragraph

    try:
        document = Document(io.BytesIO(_as_document(data)))
    except Exception as exc:  # python-docx raises many types for a damaged file
        raise ImportFormatError(f"not a readable Word document ({type(exc).__name__}: {scrub(exc)}): it may be "
                                "damaged; open it and save it again, or export the plan again") from None
    tables: list[Table] = []
    headings: list[tuple[int, str]] = []
    prose: list[str] = []
    text: list[str] = []
    _unwrap_content_controls(document.element.body)
    for child in document.element.body.iterchildren():
        if child.tag == f"{_W}p":
            paragraph = Paragraph(child, document)
            line = " ".join(accepted_text(child).split())
            text.append(line)
            level = _heading_level(paragraph, line)
            if level:
                headings.append((level, line))
                prose = []
            elif line:
                prose.append(line)
        elif child.tag == f"{_W}tbl":
            number = len(tables) + 1
            rows, merges, fills = _docx_rows(DocxTable(child, document))
            titles, rows = titles_above_header(rows)
            tables.append(Table(rows, merges, unit="row", name=f"table {number}",
                                headings=[*headings, *((1, t) for t in titles)], prose="\n\n".join(prose),
                                fills=fills))
            headings, prose = [], []
    if not tables:
        raise ImportFormatError("the Word document has no tables: planwarden reads the action table(s) of a plan")
    if preview is not None:
        preview.format = "Word (DOCX)"
    return read_tables(tables, mapping=mapping, preview=preview, text="\n".join(text))


_WORD_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_WORD_VARIANTS = (b"application/vnd.ms-word.document.macroEnabled.main+xml",
                  b"application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
                  b"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml")


def _as_document(data: bytes) -> bytes:
    """A macro-enabled document (.docm) or a template (.dotx, .dotm) as a plain .docx, in memory.

    python-docx opens only the plain document type and refused the others with its own
    message; their text and tables are the same. Macros are never run, only left unread.
    """
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in archive.namelist() else b""
        if not any(variant in types for variant in _WORD_VARIANTS):
            return data
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
            for item in archive.infolist():
                content = archive.read(item)
                if item.filename == "[Content_Types].xml":
                    for variant in _WORD_VARIANTS:
                        content = content.replace(variant, _WORD_MAIN)
                copy.writestr(item, content)
    return out.getvalue()


def _unwrap_content_controls(body: Any) -> None:
    """Content controls (``w:sdt``) around a table, its rows or its cells, replaced by what they hold.

    Plans made from a form template wrap the action table, or each action row (a
    "repeating section"), in content controls; python-docx reads only the body's and the
    table's direct children, so those tables and rows were not seen at all. The document is
    only read, never saved, so unwrapping in memory changes nothing on disk.
    """
    for sdt in list(body.iter(f"{_W}sdt")):
        parent = sdt.getparent()
        content = sdt.find(f"{_W}sdtContent")
        if parent is None or parent.tag not in _BLOCK_PARENTS or content is None:
            continue  # a control inside a paragraph: accepted_text reads its runs
        position = parent.index(sdt)
        for offset, child in enumerate(list(content)):
            parent.insert(position + offset, child)
        parent.remove(sdt)


_BLOCK_PARENTS = {f"{_W}body", f"{_W}tbl", f"{_W}tr", f"{_W}tc", f"{_W}sdtContent"}


def _heading_level(paragraph: Any, line: str) -> int:
    """1 for a section heading, 2 for an area heading, 0 for body text."""
    if not line or len(line) > 150:
        return 0
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    if re.match(r"(?:title|subtitle)\b", style, re.I):
        return 0  # the document's title, not a section
    m = re.match(r"heading\s*(\d)", style, re.I)
    if m:
        return 1 if (m.group(1) or "1") == "1" else 2
    parts = split_heading(line)
    bold = bool(paragraph.runs) and all(r.bold for r in paragraph.runs if r.text.strip())
    if parts and (bold or len(line) <= 80):
        return 1 if parts[0] == "section" else 2
    return 0


def _docx_rows(table: Any) -> tuple[list[SheetRow], list[tuple[int, int, int, int]], dict[tuple[int, int], str]]:
    """Cell texts by grid position; vertical merges as ranges; horizontal spans kept in the first column."""
    grid: list[list[Any]] = []
    for row in table.rows:
        cells: list[Any] = []
        try:
            row_cells = list(row.cells)
        except (ValueError, IndexError):  # a malformed grid: read what there is
            row_cells = [c for c in row._tr.tc_lst]  # noqa: SLF001
        for cell in row_cells:
            cells.append(cell)
        grid.append(cells)
    rows: list[SheetRow] = []
    merges: list[tuple[int, int, int, int]] = []
    fills: dict[tuple[int, int], str] = {}
    open_merge: dict[int, tuple[int, Any]] = {}  # column -> (first row, cell element)
    for r, cells in enumerate(grid, start=1):
        values: list[str | None] = []
        for c, cell in enumerate(cells):
            element = getattr(cell, "_tc", cell)
            same_as_left = c > 0 and getattr(cells[c - 1], "_tc", cells[c - 1]) is element
            above = open_merge.get(c)
            if above is not None and above[1] is element:
                values.append(None)  # continues the merge from above
                continue
            _close(open_merge, c, r, merges)
            open_merge[c] = (r, element)
            values.append(None if same_as_left else _cell_text(cell))
            colour = colour_of_fill(_shading(element))
            if colour:
                fills[(r, c)] = colour
        rows.append(SheetRow(r, values))
    for c in list(open_merge):
        _close(open_merge, c, len(grid) + 1, merges)
    return rows, merges, fills


def _shading(tc: Any) -> str | None:
    """A Word cell's background colour (``w:tcPr/w:shd/@w:fill``), e.g. "00B050"."""
    shd = tc.find(f"{_W}tcPr/{_W}shd") if hasattr(tc, "find") else None
    return shd.get(f"{_W}fill") if shd is not None else None


def _close(open_merge: dict[int, tuple[int, Any]], column: int, row: int,
           merges: list[tuple[int, int, int, int]]) -> None:
    first = open_merge.pop(column, None)
    if first is not None and row - 1 > first[0]:
        merges.append((first[0], column + 1, row - 1, column + 1))


def _cell_text(cell: Any) -> str:
    """A cell's accepted text, a line per paragraph, then its nested tables a line per row."""
    if not hasattr(cell, "paragraphs"):
        return ""
    lines = [accepted_text(p._p).strip() for p in cell.paragraphs]  # noqa: SLF001
    for nested in getattr(cell, "tables", []):
        lines.extend(" ".join(_cell_text(c) for c in row.cells) for row in nested.rows)
    text = "\n".join(line for line in lines if line)
    return _dot_colour(cell._tc, text) or text  # noqa: SLF001


def _dot_colour(tc: Any, text: str) -> str | None:
    """A dot ("●") typed in red, amber or green: the colour's name, the rating the plan gives."""
    if not text or not parse_rating(text).colour_lost:
        return None
    colour = tc.find(f".//{_W}rPr/{_W}color")
    return colour_of_fill(colour.get(f"{_W}val")) if colour is not None else None


def accepted_text(paragraph: Any) -> str:
    """A paragraph's text with every tracked change accepted.

    python-docx's ``Paragraph.text`` reads only the runs directly under the paragraph, so a
    tracked insertion (``w:ins``), a content control (``w:sdt``) and a moved-to passage
    were lost: a plan edited with Track Changes on imported without its latest words. The
    accepted text is every ``w:t`` outside deletions and moved-from passages (deleted text
    is ``w:delText``, never ``w:t``); tabs and line breaks are kept as spaces and newlines.
    """
    parts: list[str] = []
    for element in paragraph.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr"):
        if any(a.tag in _REJECTED for a in element.iterancestors()):
            continue
        parts.append(element.text or "" if element.tag == f"{_W}t" else _BREAKS[element.tag])
    return "".join(parts)


_REJECTED = {f"{_W}del", f"{_W}moveFrom"}
_BREAKS = {f"{_W}tab": " ", f"{_W}br": "\n", f"{_W}cr": "\n"}


# --------------------------------------------------------------------------- PDF


def parse_pdf(data: bytes, *, mapping: dict[str, str] | None = None, preview: Preview | None = None) -> ParsedPlan:
    """A plan from the tables of a text-based PDF."""
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # pdfminer raises many types for a damaged file
        raise ImportFormatError(f"not a readable PDF ({type(exc).__name__}: {scrub(exc)}): it may be "
                                "damaged; open it and save it again, or export the plan again") from None
    tables: list[Table] = []
    text: list[str] = []
    with pdf:
        for page_number, page in enumerate(pdf.pages, start=1):
            page_text = page.extract_text() or ""
            text.append(page_text)
            tables.extend(_page_tables(page, page_number))
    if not "".join(text).strip():
        raise ImportFormatError("the PDF has no text (a scan?): export the plan from Word or Excel instead")
    if not tables:
        raise ImportFormatError("no tables found in the PDF (tables are found by their ruled lines; one drawn "
                                "without borders is not): import the Word or Excel file the PDF was made from")
    if preview is not None:
        preview.format = "PDF"
    return read_tables(tables, mapping=mapping, preview=preview, text="\n".join(text))


def _page_tables(page: Any, page_number: int) -> list[Table]:
    found = page.find_tables()
    out: list[Table] = []
    top = 0.0
    for index, table in enumerate(found, start=1):
        x0, y0, x1, y1 = table.bbox
        above = page.crop((0, top, page.width, max(y0, top + 0.1))).extract_text() or "" if y0 > top else ""
        headings = [(1 if split_heading(line) and split_heading(line)[0] == "section" else 2, line)  # type: ignore[index]
                    for line in (" ".join(raw.split()) for raw in above.splitlines())
                    if line and split_heading(line) and not _PAGE_NUMBER.match(line)]
        rows = [SheetRow(i, [" ".join(c.split()) if c is not None else None for c in row])
                for i, row in enumerate(table.extract(), start=1)]
        rows = [r for r in rows if not all(_PAGE_NUMBER.match(c or "") or not c for c in r.cells)]
        titles, rows = titles_above_header(rows)
        name = f"page {page_number}" + (f" table {index}" if len(found) > 1 else "")
        out.append(Table(rows, _pdf_merges(rows), unit="row", name=name,
                         headings=[*headings, *((1, t) for t in titles)]))
        top = y1
    return out


def _pdf_merges(rows: list[SheetRow]) -> list[tuple[int, int, int, int]]:
    """pdfplumber gives None where a merged cell covers the grid: below its top cell, a vertical merge.

    A row whose only text is in its first cell (a heading spanning the table) is a horizontal span.
    """
    merges: list[tuple[int, int, int, int]] = []
    width = max((len(r.cells) for r in rows), default=0)
    for column in range(width):
        start: int | None = None
        for index, row in enumerate(rows):
            cell = row.cells[column] if column < len(row.cells) else ""
            spanning = sum(c is not None for c in row.cells) == 1
            if cell is None and not spanning and start is not None:
                continue
            if start is not None and index - 1 > start:
                merges.append((rows[start].number, column + 1, rows[index - 1].number, column + 1))
            start = index if cell is not None else None
        if start is not None and len(rows) - 1 > start:
            merges.append((rows[start].number, column + 1, rows[-1].number, column + 1))
    return merges
