"""Reading a plan kept as a spreadsheet (CSV or XLSX): one row per action.

The columns are Ref, Action, Owner, Due, RAG and Progress, but real sheets name them
in many ways ("Action Owner", "Lead", "Due by", "Timescales", "Updates / Comment",
"Status"…), put a title above the header row, merge cells, and type dates as text or as
real dates. The reader copes with all of that; what it cannot place it reports.

Decisions, so the behaviour is predictable:

- Required columns: Ref, Action, Owner and Due (reminders need an owner and a date);
  without one of them the file is refused with ``ImportFormatError`` naming it. RAG and
  Progress are optional (a warning says they are missing). Section, Area, Milestones
  and Anticipated outcomes are read when present.
- The header row is the first row, within the first 50, that names at least three of
  the known columns.
- A merged cell's value applies to every row it spans, in its first column (an owner or
  due date merged over several actions belongs to each). A Ref merged over several rows
  makes those rows one action: their texts are joined.
- A row without a ref whose only text is a heading such as ``2. Identifying needs``
  or ``2.1 Quality of recording`` opens that section/area. Any other row without a ref
  is joined to the action above and reported (field "row"); before any action it is
  reported and left out.
- A ref seen twice: the first row is kept, the later one is reported and left out.
- Texts are kept as typed (only HTML is converted and line endings tidied), so a sheet
  written by ``planwarden export`` imports back unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from planwarden.plan.dates import find_dates, parse_due, parse_rag
from planwarden.importing.errors import ImportFormatError
from planwarden.importing.htmltext import html_to_text, join_fragments
from planwarden.importing.parsed import ParsedAction, ParsedArea, ParsedPlan, ParsedSection, Warning_

# --------------------------------------------------------------------------- shared vocabulary

_COLUMN_RULES: list[tuple[str, re.Pattern[str]]] = [(key, re.compile(rx)) for key, rx in [
    ("ref", r"^(?:ref|refs|reference|ref no|ref number|no|number|action (?:ref|no|number|id)|id)$"),
    ("owner", r"\b(?:owners?|leads?|lead officer|lead agency|responsible|responsibility|accountable|who)\b"),
    ("milestones", r"^milestones?\b"),
    ("due", r"^(?:due|timescales?|time ?scales?|deadline|target|date due|completion date|by when|when|end date)\b"),
    ("rag", r"^(?:rag|ra g|r a g|brag|rag status|rag rating|status)\b"),
    ("progress", r"^(?:progress|updates?|comments?|commentary|what we ve done)\b"),
    ("outcomes", r"^(?:anticipated|expected|intended)? ?outcomes?\b|^success measures?\b"),
    ("section", r"^section\b"),
    ("area", r"^(?:area|priority area|theme)\b"),
    ("action", r"^(?:actions?|what we will do|tasks?|activity|activities)\b"),
]]
COLUMN_NAMES = {"ref": "Ref", "action": "Action", "owner": "Owner", "due": "Due", "rag": "RAG",
                "progress": "Progress", "section": "Section", "area": "Area", "milestones": "Milestones",
                "outcomes": "Anticipated outcomes"}
REQUIRED = ("ref", "action", "owner", "due")
_TAGS = re.compile(r"<[^>]+>")
_REF = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{1,2}))?\s*\(?([a-z]{1,2})?\)?$", re.I)
_SECTION = re.compile(r"^(?P<number>\d{1,2})\.?\s+(?P<title>[^\d\s].*)$")
_AREA = re.compile(r"^(?P<number>\d{1,2}\.\d{1,2})\.?\s+(?P<title>[^\d\s].*)$")


def column_key(header: str) -> str | None:
    """Which plan column a header names ("Action Owner" -> "owner"), or None."""
    text = " ".join(re.sub(r"[^a-z0-9#]+", " ", _TAGS.sub(" ", header or "").lower()).split())
    if not text:
        return None
    for key, rule in _COLUMN_RULES:
        if rule.search(text):
            return key
    return None


def canonical_ref(text: str) -> str | None:
    """'1.1a', '1.1 (a)', '1.1A' -> '1.1a'; '1.1' stays; anything else -> None."""
    m = _REF.match(" ".join(_TAGS.sub("", text or "").split()))
    if not m:
        return None
    parts = ".".join(p for p in m.groups()[:3] if p)
    return parts + (m.group(4) or "").lower()


def split_heading(text: str) -> tuple[str, str, str] | None:
    """'2. Identifying needs' -> ('section', '2', 'Identifying needs'); '2.1 …' -> ('area', …)."""
    clean = " ".join(text.split()).rstrip(";:")
    for kind, rx in (("area", _AREA), ("section", _SECTION)):
        m = rx.match(clean)
        if m and len(clean) <= 200:
            return kind, m["number"], m["title"].strip().rstrip(";:").strip()
    return None


# --------------------------------------------------------------------------- entry points


def parse_csv(data: bytes) -> ParsedPlan:
    """A plan from CSV bytes (UTF-8 with or without BOM, UTF-16, or Windows-1252; , ; or tab)."""
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[_SheetRow] = []
    start = 1
    for cells in reader:
        rows.append(_SheetRow(start, list(cells)))
        start = reader.line_num + 1
    return _Reader(rows, unit="line").read()


def parse_xlsx(data: bytes) -> ParsedPlan:
    """A plan from XLSX bytes: the first worksheet that has a plan header row."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ImportFormatError(f"not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    sheets = [book.active, *[ws for ws in book.worksheets if ws is not book.active]]
    failures: list[ImportFormatError] = []
    for ws in sheets:
        if ws is None:
            continue
        try:
            return _Reader(*_sheet_rows(ws)).read()
        except _NoHeader as exc:
            failures.append(exc)
        except ImportFormatError as exc:
            raise ImportFormatError(f"sheet {ws.title!r}: {exc}") from None
    raise failures[0] if failures else ImportFormatError("the workbook has no worksheets")


# --------------------------------------------------------------------------- input


class _NoHeader(ImportFormatError):
    """No header row at all: the next worksheet may still be the plan."""


@dataclass
class _SheetRow:
    number: int  # line (CSV) or row (XLSX), 1-based
    cells: list[Any]


def _delimiter(text: str) -> str:
    """The separator that makes a header row appear (Excel writes ';' in some locales)."""
    def known(delimiter: str) -> int:
        rows = itertools.islice(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 50)
        return max((len({column_key(c) for c in row} - {None}) for row in rows), default=0)

    return max((",", ";", "\t"), key=known)  # on a tie, the comma


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _sheet_rows(ws: Any) -> tuple[list[_SheetRow], list[tuple[int, int, int, int]]]:
    """Cell values by row, and the merged ranges (min_row, min_col, max_row, max_col), 1-based."""
    rows = [_SheetRow(i, list(values)) for i, values in enumerate(ws.iter_rows(values_only=True), start=1)]
    merges = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges]
    return rows, merges


def _text(value: Any) -> str:
    """A cell as text: numbers without a spurious '.0', dates as written by people."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return f"{value.day} {value:%B %Y}"
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


# --------------------------------------------------------------------------- reading


@dataclass
class _Draft:
    ref: str
    line: int
    values: dict[str, list[Any]] = field(default_factory=dict)
    section: str | None = None
    area: str | None = None

    def add(self, key: str, value: Any) -> None:
        bucket = self.values.setdefault(key, [])
        if value not in bucket:
            bucket.append(value)


class _Reader:
    """One pass over the rows after the header: actions, sections, warnings."""

    def __init__(self, rows: list[_SheetRow], merges: Iterable[tuple[int, int, int, int]] = (),
                 unit: str = "row") -> None:
        self.rows, self.merges, self.unit = rows, list(merges), unit  # unit: "line" (CSV) or "row" (XLSX)
        self.plan = ParsedPlan()
        self.sections: dict[str, ParsedSection] = {}
        self.areas: dict[str, ParsedArea] = {}
        self.section: str | None = None
        self.area: str | None = None
        self.drafts: list[_Draft] = []
        self.seen: dict[str, int] = {}
        self.skipping = False

    def read(self) -> ParsedPlan:
        index, columns = self._header()
        continuation = self._apply_merges(columns)
        self.columns = columns
        for row in self.rows[index + 1:]:
            self._row(row, row.number in continuation)
        self.plan.actions = [self._finish(d) for d in self.drafts]
        self.plan.sections = list(self.sections.values())
        return self.plan

    # ------------------------------------------------------------------ header

    def _header(self) -> tuple[int, dict[str, int]]:
        best: tuple[int, dict[str, int]] | None = None
        for index, row in enumerate(self.rows[:50]):
            columns = self._columns(row)
            if len(columns) >= 3 and ("action" in columns or "ref" in columns):
                best = (index, columns)
                break
        if best is None:
            raise _NoHeader("no header row found: expected columns named Ref, Action, Owner, Due, RAG and "
                            "Progress (or Action Owner, Lead, Due by, Timescales, Status, Updates / Comment…)")
        missing = [COLUMN_NAMES[k] for k in REQUIRED if k not in best[1]]
        if missing:
            found = ", ".join(_text(c) for c in self.rows[best[0]].cells if _text(c))
            raise ImportFormatError(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                                    f"in the header row ({self._where(self.rows[best[0]].number)}: {found})")
        for key in ("rag", "progress"):
            if key not in best[1]:
                self.plan.warnings.append(Warning_(None, key, f"no {COLUMN_NAMES[key]} column: left empty"))
        return best

    def _columns(self, row: _SheetRow) -> dict[str, int]:
        columns: dict[str, int] = {}
        for i, cell in enumerate(row.cells):
            key = column_key(_text(cell)) if isinstance(cell, str) else None
            if key and key not in columns:
                columns[key] = i
        return columns

    def _apply_merges(self, columns: dict[str, int]) -> set[int]:
        """Spread merged values down their rows; rows under a merged Ref continue its action."""
        by_number = {row.number: row for row in self.rows}
        continuation: set[int] = set()
        for min_row, min_col, max_row, _max_col in self.merges:
            top = by_number.get(min_row)
            value = top.cells[min_col - 1] if top and min_col - 1 < len(top.cells) else None
            for number in range(min_row + 1, max_row + 1):
                row = by_number.get(number)
                if row is None:
                    continue
                if min_col - 1 == columns.get("ref"):
                    continuation.add(number)
                    continue
                while len(row.cells) < min_col:
                    row.cells.append(None)
                row.cells[min_col - 1] = value
        return continuation

    # ------------------------------------------------------------------ rows

    def _cell(self, row: _SheetRow, key: str) -> Any:
        i = self.columns.get(key)
        return row.cells[i] if i is not None and i < len(row.cells) else None

    def _row(self, row: _SheetRow, continues: bool) -> None:
        values = {key: self._cell(row, key) for key in self.columns}
        if not any(_text(v) for v in values.values()):
            return
        self._structure(values)
        ref_text = _text(values.get("ref"))
        if continues and self.drafts and not self.skipping:
            self._merge(self.drafts[-1], values)
        elif self._heading_only(values):
            return
        elif ref_text and (canonical_ref(ref_text) or self._has_content(values)):
            self._start(ref_text, row, values)
        else:
            self._orphan(row, values)

    def _has_content(self, values: dict[str, Any]) -> bool:
        """More than a ref: a row with only 'Section 2' in the Ref column is no action."""
        return any(_text(v) for k, v in values.items() if k not in ("ref", "section", "area"))

    def _structure(self, values: dict[str, Any]) -> None:
        """Section and Area columns ("1. Voices", "1.1 Partnership practice")."""
        for key in ("section", "area"):
            text = _text(values.get(key))
            if text:
                self._open(text)

    def _open(self, text: str) -> None:
        """Enter the section or area a cell names: '1. Voices', '1.1 Partnership practice', '1', '1.1'."""
        parts = split_heading(text)
        if parts is None and re.fullmatch(r"\d+(?:\.\d+)?", text):
            parts = ("area" if "." in text else "section", text, "")
        if parts is None:
            return
        kind, number, title = parts
        if kind == "section":
            self.section = number
            section = self.sections.setdefault(number, ParsedSection(number, title))
            section.title = section.title or title
            return
        self.area = number
        section = self.sections.setdefault(number.split(".")[0], ParsedSection(number.split(".")[0], ""))
        if number not in self.areas:
            self.areas[number] = ParsedArea(number, title)
            section.areas.append(self.areas[number])
        self.areas[number].title = self.areas[number].title or title

    def _heading_only(self, values: dict[str, Any]) -> bool:
        texts = [_text(v) for v in values.values() if _text(v)]
        heading = split_heading(texts[0]) if len(texts) == 1 else None
        if heading:
            self._open(texts[0])
        return heading is not None

    def _start(self, ref_text: str, row: _SheetRow, values: dict[str, Any]) -> None:
        ref = canonical_ref(ref_text) or " ".join(ref_text.split())
        if ref in self.seen:
            self.plan.warnings.append(Warning_(ref, "ref", f"{self._where(row.number)}: {ref} appears again (first at "
                                               f"{self._where(self.seen[ref])}): this row is not imported", row.number))
            self.skipping = True
            return
        self.skipping = False
        self.seen[ref] = row.number
        section, area = self._place(ref)
        if section and section not in self.sections:
            self.sections[section] = ParsedSection(section, "")
        draft = _Draft(ref, row.number, section=section, area=area)
        self.drafts.append(draft)
        self._merge(draft, values)

    def _place(self, ref: str) -> tuple[str | None, str | None]:
        """Section and area of an action: its Section/Area cells, else its ref (1.1a -> 1, 1.1)."""
        m = re.match(r"^(\d+)\.(\d+)[a-z.]", ref)
        section = self.section if "section" in self.columns else (ref.split(".")[0] if m else self.section)
        derived = f"{m.group(1)}.{m.group(2)}" if m else None
        if derived in self.areas:
            return section, derived
        return section, self.area if self.area and (not m or ref.startswith(self.area)) else None

    def _merge(self, draft: _Draft, values: dict[str, Any]) -> None:
        for key, value in values.items():
            if key not in ("ref", "section", "area") and _text(value):
                draft.add(key, value)

    def _orphan(self, row: _SheetRow, values: dict[str, Any]) -> None:
        start = next(_text(v) for v in values.values() if _text(v))[:60]
        if self.skipping:
            return
        if not self.drafts:
            self.plan.warnings.append(Warning_(None, "row", f"{self._where(row.number)}: row without a ref before any "
                                               f"action, starting '{start}': not imported", row.number))
            return
        draft = self.drafts[-1]
        self._merge(draft, values)
        self.plan.warnings.append(Warning_(draft.ref, "row", f"{self._where(row.number)}: row without a ref, starting "
                                           f"'{start}': joined to {draft.ref}", row.number))

    # ------------------------------------------------------------------ result

    def _finish(self, d: _Draft) -> ParsedAction:
        warn = self.plan.warnings.append
        text = _join_text(d.values.get("action", []))
        outcomes = _join_text(d.values.get("outcomes", []))
        if outcomes:
            text = f"{text}\n\nAnticipated outcomes: {outcomes}" if text else f"Anticipated outcomes: {outcomes}"
        if not text:
            warn(Warning_(d.ref, "text", f"{self._where(d.line)}: {d.ref} has no action text", d.line))
        action = ParsedAction(d.ref, text, " ".join(" ".join(_text(v) for v in d.values.get("owner", [])).split()),
                              section=d.section, area=d.area, line=d.line,
                              progress=_join_text(d.values.get("progress", [])))
        self._due(action, d.values.get("due", []))
        self._milestones(action, d.values.get("milestones", []))
        self._rag(action, d.values.get("rag", []))
        return action

    def _due(self, action: ParsedAction, values: list[Any]) -> None:
        dates = [_as_date(v) for v in values]
        real = [d for d in dates if d is not None]
        action.due_text = " ".join(" ".join(_text(v) for v in values).split())
        if real:
            action.due = max(real)
            action.milestones = sorted({d for d in real if d < action.due})
            if any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                self._warn(action, "due", f"the due date was a number; read as an Excel date {action.due}")
            return
        parsed = parse_due(action.due_text)
        action.due, action.milestones = parsed.due, parsed.milestones
        for message in parsed.warnings:
            self._warn(action, "due", message)

    def _milestones(self, action: ParsedAction, values: list[Any]) -> None:
        for value in values:
            date = _as_date(value)
            found = [date] if date else [f.date for f in find_dates(_text(value))[0]]
            action.milestones = sorted({*action.milestones, *found})

    def _rag(self, action: ParsedAction, values: list[Any]) -> None:
        readings = [parse_rag(_text(v)) for v in values]
        colours = [r.rag for r in readings if r.rag]
        action.rag = colours[0] if colours else None
        if len(set(colours)) > 1:
            self._warn(action, "rag", f"conflicting RAG ratings {', '.join(colours)}: kept {colours[0]}")
        elif not colours and any(r.colour_lost for r in readings):
            self._warn(action, "rag", "RAG colour lost (a bullet without its colour): RAG left unknown")
        elif not colours and values:
            self._warn(action, "rag", f"RAG '{_text(values[0])}' not understood: RAG left unknown")

    def _where(self, number: int | None) -> str:
        return f"{self.unit} {number}"

    def _warn(self, action: ParsedAction, field_name: str, message: str) -> None:
        where = self._where(action.line)
        self.plan.warnings.append(Warning_(action.ref, field_name, f"{where}: {message}", action.line))


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20000 <= value <= 80000:
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))  # an Excel serial day number
    return None


def _join_text(values: list[Any]) -> str:
    """Texts kept as typed; HTML converted; several rows of one action joined."""
    texts = [html_to_text(t) if _TAGS.search(t) else t.strip() for t in (_text(v) for v in values)]
    return join_fragments([t for t in texts if t])
