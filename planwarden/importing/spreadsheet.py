"""Reading a plan kept as a spreadsheet (CSV or XLSX): one row per action.

The reading of the rows is shared with Word and PDF tables (``tables.py``: columns by
meaning, refs of any shape, merged cells, sections). This module only turns the file
into tables:

- CSV: UTF-8 with or without BOM, UTF-16, or Windows-1252; the delimiter (``,``, ``;`` or
  tab) is the one that makes a header row appear.
- XLSX: every worksheet that has an action table (``--sheet NAME`` reads one); merged
  ranges are spread over the rows they cover; sheets without one are reported.
- Texts are kept as typed (only HTML is converted and line endings tidied), so a sheet
  written by ``planwarden export`` imports back unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
from typing import Any

from planwarden.importing.errors import ImportFormatError, scrub
from planwarden.importing.parsed import ParsedPlan, Warning_
from planwarden.plan.rag import colour_of_fill, parse_rating
from planwarden.importing.tables import (COLUMN_NAMES, Preview, SheetRow, Table, canonical_ref,
                                         column_key, read_tables, split_heading)

__all__ = ["COLUMN_NAMES", "canonical_ref", "column_key", "parse_csv", "parse_xlsx", "split_heading"]


def parse_csv(data: bytes, *, mapping: dict[str, str] | None = None, preview: Preview | None = None) -> ParsedPlan:
    """A plan from CSV bytes."""
    text = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text))
    rows: list[SheetRow] = []
    start = 1
    for cells in reader:
        rows.append(SheetRow(start, list(cells)))
        start = reader.line_num + 1
    if preview is not None:
        preview.format = "CSV"
    return read_tables([Table(rows, unit="line")], mapping=mapping, preview=preview)


def parse_xlsx(data: bytes, *, sheet: str | None = None, mapping: dict[str, str] | None = None,
               preview: Preview | None = None) -> ParsedPlan:
    """A plan from XLSX bytes: every visible worksheet with an action table (the active one first), or ``sheet``.

    A hidden sheet (an old version, a lookup list) is not read unless named: reading it put
    its rows among the plan's or reported them all as duplicates. Each is named in the summary.
    """
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ImportFormatError(f"not a readable XLSX workbook ({type(exc).__name__}: {scrub(exc)}): it may be "
                                "damaged; open it and save it again, or export the plan again") from None
    # the active sheet first; a chart sheet (a dashboard left active) has no cells to read
    sheets = [ws for ws in [book.active, *book.worksheets] if ws is not None and ws in book.worksheets]
    sheets = list(dict.fromkeys(sheets))
    if sheet is not None:
        sheets = [ws for ws in sheets if ws.title == sheet]
        if not sheets and sheet in book.sheetnames:
            raise ImportFormatError(f"sheet {sheet!r} is a chart, not a worksheet (worksheets: "
                                    f"{', '.join(ws.title for ws in book.worksheets)})")
        if not sheets:
            raise ImportFormatError(f"no sheet named {sheet!r} (sheets: {', '.join(book.sheetnames)})")
    if not sheets:
        raise ImportFormatError("the workbook has no worksheets")
    hidden_sheets = [ws.title for ws in sheets if ws.sheet_state != "visible"] if sheet is None else []
    sheets = [ws for ws in sheets if ws.title not in hidden_sheets] or sheets  # only hidden sheets: read them
    tables = []
    theme = _theme_colours(book.loaded_theme)
    for ws in sheets:
        rows, merges, fills = _sheet_rows(ws, theme)
        hidden = {number for number, dim in ws.row_dimensions.items() if dim.hidden}
        tables.append(Table(rows, merges, name=f"sheet {ws.title!r}" if len(sheets) > 1 or sheet else "", fills=fills,
                            hidden=hidden))
    if preview is not None:
        preview.format = "XLSX"
    skipped = [t for t in hidden_sheets if t not in {ws.title for ws in sheets}]
    try:
        parsed = read_tables(tables, mapping=mapping, preview=preview)
    except ImportFormatError as exc:
        if not skipped:
            raise
        raise ImportFormatError(f"{exc} (hidden sheets not read: {', '.join(skipped)}; --sheet NAME reads one)"
                                ) from None
    parsed.warnings.extend(_unsaved_formulas(data, [ws.title for ws in sheets]))
    parsed.warnings.extend(Warning_(None, "sheet", f"sheet {t!r} is hidden in Excel: not read (--sheet {t!r} reads it)")
                           for t in skipped)
    return parsed


def _unsaved_formulas(data: bytes, titles: list[str]) -> list[Warning_]:
    """Formulas with no saved result read as empty cells: say which, so a due date never vanishes unseen.

    Excel saves each formula's last result; a workbook written by a program (openpyxl, a
    reporting tool) may not, and then the cell reads as empty. The check is a text search
    of the sheets first, so a workbook saved by Excel is loaded only once.
    """
    import zipfile

    from openpyxl import load_workbook

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        if not any(re.search(rb"</f>\s*(?:<v\s*/>|<v></v>|</c>)", archive.read(n)) for n in sheets):
            return []
    formulas = load_workbook(io.BytesIO(data))
    values = load_workbook(io.BytesIO(data), data_only=True)
    found = [(title, cell.coordinate, cell.value) for title in titles for row in formulas[title].iter_rows()
             for cell in row if isinstance(cell.value, str) and cell.value.startswith("=")
             and values[title][cell.coordinate].value is None]
    if not found:
        return []
    shown = ", ".join(f"sheet {t!r} cell {c} ({f[:40]})" for t, c, f in found[:5]) + (", …" if len(found) > 5 else "")
    return [Warning_(None, "formula", f"{len(found)} formula cell(s) have no saved result and were read as empty: "
                     f"{shown}; open the workbook in Excel, save it, and import it again")]


def delimiter(text: str) -> str:
    """The separator that makes a header row appear (Excel writes ';' in some locales)."""
    def known(sep: str) -> int:
        rows = itertools.islice(csv.reader(io.StringIO(text, newline=""), delimiter=sep), 50)
        return max((len({column_key(c) for c in row} - {None}) for row in rows), default=0)

    return max((",", ";", "\t"), key=known)  # on a tie, the comma


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _sheet_rows(ws: Any, theme: list[str]) -> tuple[list[SheetRow], list[tuple[int, int, int, int]],
                                                  dict[tuple[int, int], str]]:
    """Cell values by row, the merged ranges (min_row, min_col, max_row, max_col, 1-based), and
    the colours of empty filled cells (a RAG given by colour alone).

    Only the cells the file holds are visited, up to the last row and column with a value:
    ``iter_rows`` makes every cell of the used range, and a wide plan with 10,000 formatted
    empty rows below it (borders drawn down the sheet) meant 1.25 million cells and 8 s.
    """
    stored = ws._cells  # noqa: SLF001 - {(row, column): cell}, the cells the file holds
    valued = [key for key, cell in stored.items() if cell.value is not None]
    height = max((r for r, _ in valued), default=0)
    width = max((c for _, c in valued), default=0)
    grid: list[list[Any]] = [[None] * width for _ in range(height)]
    fills: dict[tuple[int, int], str] = {}
    for (r, c), cell in stored.items():
        if r > height or c > width:
            continue
        if cell.value is not None:
            grid[r - 1][c - 1] = _value(cell, theme)
            continue
        fill = cell.fill if cell.has_style else None
        if fill is not None and fill.fill_type == "solid":
            colour = colour_of_fill(_rgb(fill.fgColor, theme))
            if colour:
                fills[(r, c - 1)] = colour
    rows = [SheetRow(i, cells) for i, cells in enumerate(grid, start=1)]
    merges = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges]
    return rows, merges, fills


def _value(cell: Any, theme: list[str]) -> Any:
    """A cell's value; a dot ("●") coloured red, amber or green as that colour's name; a date
    shown as a month ("Mar-24", "March 2024") as that month's text.

    Typing "March 2024" into Excel stores 1 March 2024 and shows "Mar-24": read as the date,
    the action fell due a month early. As text it means the end of the month, as written.
    """
    value = cell.value
    if isinstance(value, str) and parse_rating(value).colour_lost:
        colour = colour_of_fill(_rgb(cell.font.color, theme)) if cell.has_style and cell.font else None
        return colour or value  # "●" in red type: the rating is the dot's colour
    if isinstance(value, dt.datetime | dt.date) and cell.is_date:
        shown = re.sub(r'"[^"]*"|\[[^\]]*\]', "", str(cell.number_format or "")).lower()
        if "d" not in shown and "y" in shown:
            return f"{value:%B %Y}" if "m" in shown else str(value.year)
    return value


def _rgb(colour: Any, theme: list[str]) -> str | None:
    """A fill colour as RRGGBB, whether given directly, by the old palette index or by the theme (with its tint)."""
    from openpyxl.styles.colors import COLOR_INDEX

    if colour is None:
        return None
    if colour.type == "rgb":
        return str(colour.rgb) if isinstance(colour.rgb, str) else None
    if colour.type == "indexed" and isinstance(colour.indexed, int) and colour.indexed < len(COLOR_INDEX):
        return COLOR_INDEX[colour.indexed]
    if colour.type == "theme" and isinstance(colour.theme, int) and colour.theme < len(theme):
        tint = float(colour.tint or 0)
        channels = [int(theme[colour.theme][k:k + 2], 16) for k in (0, 2, 4)]
        tinted = [round(c * (1 + tint)) if tint < 0 else round(c + (255 - c) * tint) for c in channels]
        return "".join(f"{c:02X}" for c in tinted)
    return None


def _theme_colours(theme: bytes | None) -> list[str]:
    """The workbook theme's colours in Excel's theme-index order (light 1, dark 1, light 2, dark 2, accents 1-6)."""
    if not theme:
        return []
    from xml.etree import ElementTree

    a = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    try:
        scheme = ElementTree.fromstring(theme).find(f"{a}themeElements/{a}clrScheme")
    except ElementTree.ParseError:
        return []
    if scheme is None:
        return []
    colours: dict[str, str] = {}
    for slot in scheme:
        found = slot.find(f"{a}srgbClr")
        system = slot.find(f"{a}sysClr")
        value = found.get("val") if found is not None else system.get("lastClr") if system is not None else None
        colours[slot.tag.removeprefix(a)] = value or "000000"
    order = ["lt1", "dk1", "lt2", "dk2", *(f"accent{n}" for n in range(1, 7))]
    return [colours.get(name, "000000") for name in order]

