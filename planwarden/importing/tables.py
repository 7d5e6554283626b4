"""Reading action tables, whatever document they came from (CSV, XLSX, DOCX, PDF).

Each format reader turns its document into ``Table`` objects (rows of cells, merged
ranges, the headings and text above the table); ``read_tables`` reads them all into one
``ParsedPlan``. Real plans name their columns in many ways, so:

- **Columns by meaning.** A header cell is matched to a field by synonyms (``column_key``):
  ref, action, outcomes (success measures), owner (lead, responsibility), due (timescale,
  target date, by when, date), rag (status, rating, BRAG), progress (updates, comment),
  section, area, milestones. ``Recommendation``/``Issue``/``Finding`` is the action only
  when no action column exists. Where no header names the due or rating column, a column
  whose cells are mostly dates (or ratings) is taken as one. Every other column is kept
  on each action as a named extra field; an unknown column never refuses a file.
  ``--map "By when=due,Lead officer=owner"`` overrides (field ``extra`` keeps a column as
  an extra field, ``ignore`` drops it).
- **The header row** is the first row (within the first 50) naming the action column and
  at least one other known column, or three known columns. A table without one continues
  the previous table when it has as many columns (a table continued across pages); a
  header row repeated on the next page is skipped.
- **Only the action column is required.** A missing owner, due or rating column is a
  warning: the plan imports and the secretary completes it.
- **Refs of any shape** are kept as written (``1.``, ``1.1``, ``A3``, ``R7``, ``2.1c``): ``1.``
  is stored as ``1`` and ``1.1 (a)`` as ``1.1a``. With no ref column, a ref written at the
  start of the action cell (``1. To ensure…``, ``2.1c Review…``) is taken from there. A
  numbered row followed by lettered rows (``a``, ``(b)``, ``c)``) is a group: it becomes a
  section and its actions are ``1a``, ``1b``…
- **Generated refs.** Rows with no ref at all get one from their position: ``N.k`` for the
  k-th such action under section ``N`` (a numbered heading or Section column), else
  ``T.k`` for the k-th in the t-th table when several tables lack refs, else ``k``. The
  same document always gives the same refs, so re-importing it changes nothing; the
  summary says how many were generated.
- **Ratings** are read with ``planwarden.plan.rag`` under the plan's scale: BRAG when the
  document defines Blue as complete (a key such as "Blue = Complete") or rates any action
  Blue; RAG otherwise.
- Merged cells: a merged value applies to every row it spans; a Ref merged over several
  rows makes those rows one action, unless a row has its own action and its own owner or
  due date: then the rows are actions ``3a``, ``3b``….
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from planwarden.plan import rag as ratings
from planwarden.plan.dates import find_dates, parse_due
from planwarden.importing.errors import ImportFormatError
from planwarden.importing.htmltext import html_to_text, join_fragments
from planwarden.importing.parsed import ParsedAction, ParsedArea, ParsedPlan, ParsedSection, Warning_

# --------------------------------------------------------------------------- vocabulary

_COLUMN_RULES: list[tuple[str, re.Pattern[str]]] = [(key, re.compile(rx)) for key, rx in [
    ("extra", r"^date (?:raised|added|agreed|identified|opened|logged|of (?:inspection|review|report))\b"
              r"|^(?:date (?:completed|closed|achieved|signed off)|(?:actual )?completed (?:date|on))\b"),
    ("ref", r"^(?:ref|refs|reference|ref no|ref number|no|number|action (?:ref|no|number|id)|id|#|item|item no)$"),
    ("owner", r"\b(?:owners?|leads?|lead officer|lead agency|responsible|responsibility|accountable|who|by whom)\b"),
    ("milestones", r"^milestones?\b"),
    ("due", r"^(?:due|timescales?|time ?scales?|time ?frames?|deadline|target|date due|completion date|by when"
            r"|when|end date|date|dates|target dates?|date for completion|expected completion)\b"),
    ("progress", r"^status updates?\b"),
    ("rag", r"^(?:rag|ra g|r a g|brag|b rag|rag status|rag rating|status|rating|progress rating|progress status)\b"
            r"|\b(?:rag|brag)\b|^(?:current|overall|latest|delivery|action) (?:status|rating)\b"),
    ("progress", r"^(?:progress|updates?|comments?|commentary|what we ve done|latest update)\b"),
    ("outcomes", r"^(?:anticipated|expected|intended|desired)? ?outcomes?\b|^success (?:measures?|criteria)\b"
                 r"|\bsuccess look like\b|^measures? of success\b|^impact\b|^how will we know\b"),
    ("section", r"^(?:section|priority)$"),
    ("area", r"^(?:area|priority area|theme)$"),
    ("action", r"^(?:actions?|what we will do|what (?:will we|are we going to|we are going to|needs? to be) do(?:ne)?"
               r"|tasks?|activity|activities|specific actions?|actions? required"
               r"|actions? to be taken|key actions?|what will be done|planned actions?)\b"),
    ("recommendation", r"^(?:recommendations?|issues?|findings?|improvements? required|areas? for improvement)\b"),
]]
FIELDS = ("ref", "action", "outcomes", "owner", "due", "rag", "progress", "section", "area", "milestones")
COLUMN_NAMES = {"ref": "Ref", "action": "Action", "owner": "Owner", "due": "Due", "rag": "RAG",
                "progress": "Progress", "section": "Section", "area": "Area", "milestones": "Milestones",
                "outcomes": "Anticipated outcomes"}
_TAGS = re.compile(r"<[^>]+>")
_REF = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{1,2}))?\s*\(?([a-z]{1,2})?\)?$", re.I)
_SHORT_REF = re.compile(r"^(?:(?P<num>\d{1,3})\.?|(?P<code>[A-Z]{1,3}\s?\d{1,3}[a-z]?))$")
_LETTER = re.compile(r"^\(?(?P<l>[a-z])[).]?$")
_LEADING_REF = re.compile(r"^(?P<ref>\d{1,2}(?:\.\d{1,2}){0,2}[a-z]?|[A-Z]{1,2}\d{1,2}[a-z]?)[.):]?\s+(?=\S)")
_LEADING_LETTER = re.compile(r"^\(?(?P<l>[a-z])[).]\s+(?=\S)")
_SECTION = re.compile(r"^(?:(?:section|priority|recommendation|objective|theme|area|aim|outcome|key issue|"
                      r"standard|strand|workstream)\s+)?(?P<number>\d{1,2})\s*[.:)–-]?\s+(?P<title>[^\d\s].*)$", re.I)
_LOWER = ("green", "amber", "red")
_NUMERIC_DATE = re.compile(r"^\s*(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?:\d{4}|\d{2})\s*$")
_TOTALS = re.compile(r"^(?:grand\s+)?(?:totals?|number of actions|count)\b", re.I)
_AREA = re.compile(r"^(?P<number>\d{1,2}\.\d{1,2})\.?\s+(?P<title>[^\d\s].*)$")


def normalise_header(header: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9#]+", " ", _TAGS.sub(" ", header or "").lower()).split())


def column_key(header: str) -> str | None:
    """Which plan field a header names ("Action Owner" -> "owner"), or None."""
    text = normalise_header(header)
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


def any_ref(text: str) -> str | None:
    """A ref of any common shape: '1.1a' and friends, '1.', '12', 'A3', 'R 7' -> 'R7'; else None."""
    clean = " ".join(_TAGS.sub("", text or "").split())
    found = canonical_ref(clean)
    if found:
        return found
    m = _SHORT_REF.match(clean)
    if not m:
        return None
    return m["num"] or m["code"].replace(" ", "")


def split_heading(text: str) -> tuple[str, str, str] | None:
    """'2. Identifying needs' -> ('section', '2', 'Identifying needs'); '2.1 …' -> ('area', …)."""
    clean = " ".join(text.split()).rstrip(";:")
    for kind, rx in (("area", _AREA), ("section", _SECTION)):
        m = rx.match(clean)
        if m and len(clean) <= 200:
            return kind, m["number"], m["title"].strip().rstrip(";:").strip()
    return None


def parse_mapping(text: str | None) -> dict[str, str]:
    """'By when=due, Lead officer=owner' -> {'by when': 'due', 'lead officer': 'owner'}; refuses unknown fields."""
    mapping: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        header, sep, name = part.rpartition("=")
        name = name.strip().lower()
        if not sep or not header.strip():
            raise ImportFormatError(f"--map: '{part.strip()}' is not 'Header=field'")
        if name not in (*FIELDS, "extra", "ignore"):
            raise ImportFormatError(f"--map: unknown field '{name}' (one of {', '.join((*FIELDS, 'extra', 'ignore'))})")
        mapping[normalise_header(header)] = name
    return mapping


# --------------------------------------------------------------------------- input


@dataclass
class SheetRow:
    number: int  # line (CSV), row (XLSX) or row of the table (DOCX, PDF), 1-based
    cells: list[Any]


@dataclass
class Table:
    """One table of a document, with what stands above it."""

    rows: list[SheetRow]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # (min_row, min_col, max_row, max_col)
    unit: str = "row"  # how a warning names a row: "line 7", "row 7"
    name: str = ""  # "sheet 'Plan'", "table 2", "page 3": prefixes warnings
    headings: list[tuple[int, str]] = field(default_factory=list)  # (level 1 section / 2 area, text) above it
    prose: str = ""  # paragraphs between the last heading and the table: the area's findings
    fills: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, 0-based column) -> "Red"… shading
    hidden: set[int] = field(default_factory=set)  # rows hidden in Excel: read, and reported


def cell_text(value: Any) -> str:
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


class NoHeader(ImportFormatError):
    """No header row at all: another sheet or table may still be the plan."""


# --------------------------------------------------------------------------- reading


@dataclass
class _Draft:
    ref: str
    line: int
    where: str
    values: dict[str, list[Any]] = field(default_factory=dict)
    extra: dict[str, list[str]] = field(default_factory=dict)
    section: str | None = None
    area: str | None = None
    generated: bool = False
    base: str | None = None  # the merged ref this lettered action shares ("3" of 3a, 3b)

    def add(self, key: str, value: Any) -> None:
        bucket = self.values.setdefault(key, [])
        if value not in bucket:
            bucket.append(value)


@dataclass
class _Layout:
    """The columns of a table: field -> index, extra name -> index."""

    columns: dict[str, int]
    extras: dict[str, int]
    header: list[str]


@dataclass
class Preview:
    """What the reader decided, for ``import --dry-run``: column mapping per table, generated refs."""

    mappings: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (table, header -> field)
    generated_refs: list[str] = field(default_factory=list)
    scale: str = "rag"
    format: str = ""


def read_tables(tables: list[Table], *, mapping: dict[str, str] | None = None, text: str = "",
                preview: Preview | None = None) -> ParsedPlan:
    """All the actions of all the tables. ``text`` is the document's prose (for a BRAG key)."""
    reader = _Reader(mapping or {}, preview or Preview())
    failures: list[ImportFormatError] = []
    for index, table in enumerate(tables, start=1):
        try:
            reader.table(table, index)
        except NoHeader as exc:
            failures.append(exc)
    unmatched = [h for h in reader.mapping if h not in reader.headers_read]
    unmatched_text = (f"--map names no column of the file: {', '.join(repr(h) for h in unmatched)} (check the "
                      "spelling against the header row)") if unmatched else ""
    if reader.drafts:
        reader.plan.warnings.extend(Warning_(None, "table", f"{exc}: not an action table, skipped")
                                    for exc in failures)
        if unmatched:
            reader.plan.warnings.insert(0, Warning_(None, "map", f"{unmatched_text}: ignored"))
    else:
        telling = [f for f in failures if "Action column" in str(f)]
        if failures and (len(tables) == 1 or telling):
            first = (telling or failures)[0]
            raise NoHeader(f"{unmatched_text}; {first}") if unmatched else first
        raise NoHeader("no action table found: no table has a header row naming an Action column "
                       "(or Ref, Owner, Due, RAG…); use --map \"Your header=action\" to name it")
    everything = "\n".join([text, *(t.prose for t in tables), *(h for t in tables for _, h in t.headings),
                            *(" ".join(cell_text(c) for c in row.cells) for t in tables for row in t.rows)])
    return reader.finish(everything)


class _Reader:
    """One pass over every table: actions, sections, warnings."""

    def __init__(self, mapping: dict[str, str], preview: Preview) -> None:
        self.mapping, self.preview = mapping, preview
        self.plan = ParsedPlan()
        self.sections: dict[str, ParsedSection] = {}
        self.areas: dict[str, ParsedArea] = {}
        self.section: str | None = None
        self.area: str | None = None
        self.drafts: list[_Draft] = []
        self.seen: dict[str, str] = {}
        self.skipping = False
        self.layout: _Layout | None = None
        self.group: _Draft | None = None
        self.generated: dict[str, int] = {}
        self.tables_without_refs = 0
        self.heading_count = [0, 0]
        self.brag_header = False
        self.fills: dict[tuple[int, int], str] = {}
        self.hidden: set[int] = set()
        self.month_first = False
        self.headers_read: set[str] = set()  # every header of the tables read, to check --map against
        self.flat_refs = False
        self.table_generated = False

    # ------------------------------------------------------------------ tables

    def table(self, table: Table, index: int) -> None:
        self.unit, self.name, self.index = table.unit, table.name, index
        self._headings(table)
        found = self._header(table.rows)
        if found is None:
            if self.layout is None or not table.rows or len(table.rows[0].cells) != len(self.layout.header):
                raise NoHeader(self._no_header(table.rows))
            start = 0  # a table continued from the previous page
        else:
            repeated = self.layout is not None and found[1].header == self.layout.header and not table.headings
            start, self.layout = found[0] + 1, found[1]
            if not repeated:  # a new table, not the same one continued under its repeated header
                self.group, self.table_generated = None, False
        assert self.layout is not None
        continuation = self._apply_merges(table, self.layout.columns)
        self.fills, self.hidden = table.fills, table.hidden
        header = [h.lower() for h in self.layout.header]
        self.table_has_refs = "ref" in self.layout.columns
        column = self.layout.columns.get("ref")
        refs = [cell_text(_at(row, column)) for row in table.rows[start:]] if column is not None else []
        self.flat_refs = any(refs) and not any("." in r for r in refs)  # 1, 2, 3: bands are the only sections
        for row in table.rows[start:]:
            if [cell_text(c).lower() for c in row.cells] == header:
                continue  # the header repeated on a new page
            self._row(row, row.number in continuation)

    def _headings(self, table: Table) -> None:
        """Headings above a table open sections and areas (numbered as written, else in order)."""
        for level, text in table.headings:
            parts = split_heading(text)
            if parts is None:
                self.heading_count[level - 1] += 1
                if level == 1:
                    self.heading_count[1] = 0
                number = (str(self.heading_count[0]) if level == 1
                          else f"{self.section or self.heading_count[0] or 1}.{self.heading_count[1]}")
                parts = ("section" if level == 1 else "area", number, " ".join(text.split()))
            self._open_parts(parts)
        if table.prose and self.area in self.areas:
            found = self.areas[self.area]
            found.what_inspectors_found = join_fragments([found.what_inspectors_found, table.prose])
        elif table.prose and self.section in self.sections:
            section = self.sections[self.section]
            section.description = join_fragments([section.description, table.prose])

    def _no_header(self, rows: list[SheetRow]) -> str:
        """Why no row is a header: the nearest candidate and what it lacks, or what was expected."""
        self.headers_read.update(normalise_header(cell_text(c)) for r in rows[:50] for c in r.cells if cell_text(c))
        candidates = [(len(self._layout(r).columns), r) for r in rows[:50]]
        best = max(candidates, key=lambda c: c[0], default=(0, None))
        if best[1] is not None and best[0] >= 1:
            layout = self._layout(best[1])
            named = ", ".join(f"{layout.header[i]} ({k})" for k, i in layout.columns.items())
            return (f"{self._where(best[1].number)}: the nearest header row names only {named}: no Action column "
                    "(use --map \"Your header=action\")")
        return (f"{self._prefix()}no header row found: expected columns such as Ref, Action, Owner, Due, RAG and "
                "Progress (or Action Owner, Lead, By when, Status…); add a header row naming them above the table")

    def _header(self, rows: list[SheetRow]) -> tuple[int, _Layout] | None:
        """The header row's index (its last row, for a header over two rows) and the columns.

        A row naming three columns but no action (a document-control block above the plan:
        Version, Date, Owner, Status) is passed over while a later row names the action.
        """
        candidates = [(i, row, self._layout(row)) for i, row in enumerate(rows[:50])]
        candidates = [(i, row, layout) for i, row, layout in candidates
                      if ("action" in layout.columns and len(layout.columns) >= 2) or len(layout.columns) >= 3]
        if not candidates:
            return None
        index, row, layout = next((c for c in candidates if "action" in c[2].columns), candidates[0])
        below = rows[index + 1] if index + 1 < len(rows) else None
        combined = _two_row_header(row, below, layout) if below is not None else None
        if combined is not None:
            row, layout, index = combined, self._layout(combined), index + 1
        self._infer(layout, rows[index + 1:])
        self._check(layout, row)
        return index, layout

    def _layout(self, row: SheetRow) -> _Layout:
        columns: dict[str, int] = {}
        extras: dict[str, int] = {}
        header = [cell_text(c) for c in row.cells]
        for i, name in enumerate(header):
            if not name or len(name) > 80 or not isinstance(row.cells[i], str):
                continue
            key = self.mapping.get(normalise_header(name)) or column_key(name)
            if key == "ignore":
                continue
            if key and key != "extra" and key not in columns:
                columns[key] = i
            elif " ".join(name.split()) not in extras:
                extras[" ".join(name.split())] = i
        if "recommendation" in columns:  # the action only when no column says "Action"
            i = columns.pop("recommendation")
            if "action" in columns:
                extras[" ".join(header[i].split())] = i
            else:
                columns["action"] = i
        return _Layout(columns, extras, header)

    def _infer(self, layout: _Layout, rows: list[SheetRow]) -> None:
        """A column of dates is the due column; a column of ratings is the rating column."""
        for key, test in (("due", _is_date), ("rag", _is_rating)):
            if key in layout.columns:
                continue
            for name, i in list(layout.extras.items()):
                values = [cell_text(r.cells[i]) for r in rows[:200] if i < len(r.cells) and cell_text(r.cells[i])]
                if values and sum(map(test, values)) >= 0.6 * len(values) and normalise_header(name) not in self.mapping:
                    layout.columns[key] = layout.extras.pop(name)
                    self.plan.warnings.append(Warning_(None, key, f"{self._prefix()}column '{name}' read as the "
                                                       f"{COLUMN_NAMES[key]} column from its contents"))
                    break

    def _check(self, layout: _Layout, row: SheetRow) -> None:
        self.headers_read.update(normalise_header(h) for h in layout.header if h)
        if "action" not in layout.columns:
            found = ", ".join(h for h in layout.header if h)
            raise NoHeader(f"{self._prefix()}no Action column in the header row "
                                    f"({self._where(row.number)}: {found}); use --map \"Header=action\"")
        if "rag" in layout.columns and normalise_header(layout.header[layout.columns["rag"]]) in ("brag", "b rag"):
            self.brag_header = True  # a rating column headed BRAG
        named = [(i, layout.header[i], k) for k, i in layout.columns.items()]
        named += [(i, name, "extra") for name, i in layout.extras.items()]
        self.preview.mappings.append((self.name or f"table {self.index}",
                                      {header: key for _, header, key in sorted(named)}))
        for key in ("owner", "due", "rag", "progress"):
            if key not in layout.columns and not any(w.field == key and w.ref is None for w in self.plan.warnings):
                self.plan.warnings.append(Warning_(None, key, f"{self._prefix()}no {COLUMN_NAMES[key]} column: "
                                                   "left empty"))

    def _apply_merges(self, table: Table, columns: dict[str, int]) -> set[int]:
        """Spread merged values down their rows; rows under a merged Ref continue its action."""
        by_number = {row.number: row for row in table.rows}
        continuation: set[int] = set()
        for min_row, min_col, max_row, _max_col in table.merges:
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

    def _row(self, row: SheetRow, continues: bool) -> None:
        assert self.layout is not None
        values = {key: _at(row, i) for key, i in self.layout.columns.items()}
        rag_column = self.layout.columns.get("rag")
        if rag_column is not None and not cell_text(values["rag"]) and (row.number, rag_column) in self.fills:
            values["rag"] = self.fills[(row.number, rag_column)]  # a rating given by the cell's colour alone
        extra = {name: cell_text(_at(row, i)) for name, i in self.layout.extras.items()}
        if not any(cell_text(v) for v in values.values()) and not any(extra.values()):
            return
        self._structure(values)
        ref_text = cell_text(values.get("ref"))
        if continues and self.drafts and not self.skipping:
            if self._separate(self.drafts[-1], values):
                self._split_merged(row, values, extra)
            else:
                self._merge(self.drafts[-1], values, extra)
        elif self._totals(row):
            return
        elif self._heading_only(row, values, extra):
            return
        elif ref_text and (any_ref(ref_text) or _LETTER.match(ref_text) or self._has_content(values)):
            self._start(ref_text, row, values, extra)
        elif not ref_text and self._new_action(values):
            self._start("", row, values, extra)
        else:
            self._orphan(row, values, extra)

    def _totals(self, row: SheetRow) -> bool:
        """'Total actions | | | 7' (or 'Total' in the Ref column) is a count of the plan, not an action: reported."""
        texts = [t for t in map(cell_text, row.cells) if t]
        if not texts or not _TOTALS.match(texts[0]) or not all(re.fullmatch(r"[\d.,%\s]+", t) for t in texts[1:]):
            return False
        self.plan.warnings.append(Warning_(None, "row", f"{self._where(row.number)}: '{texts[0][:60]}' read as a "
                                           "totals row: not imported", row.number))
        return True

    def _separate(self, draft: _Draft, values: dict[str, Any]) -> bool:
        """A row under a merged Ref with its own action, owner or due date is an action of its own."""
        own = [cell_text(values.get(k)) for k in ("owner", "due")]
        known = {cell_text(v) for k in ("owner", "due") for v in draft.values.get(k, [])}
        return bool(cell_text(values.get("action"))) and any(t and t not in known for t in own)

    def _split_merged(self, row: SheetRow, values: dict[str, Any], extra: dict[str, str]) -> None:
        """Ref 3 merged over three actions: 3a, 3b, 3c (the first row is renamed 3a)."""
        first = self.drafts[-1]
        if first.base is None:
            del self.seen[first.ref]
            first.base, first.ref = first.ref, f"{first.ref}a"
            self.seen[first.ref] = first.where
        letter = chr(ord(first.ref[-1]) + 1) if first.base else "b"
        ref = f"{first.base}{letter}"
        draft = _Draft(ref, row.number, self._where(row.number), section=first.section, area=first.area,
                       base=first.base)
        self.seen[ref] = draft.where
        self.drafts.append(draft)
        self._merge(draft, values, extra)

    def _new_action(self, values: dict[str, Any]) -> bool:
        """Without a ref, a row with its own action text starts an action when the table has no refs."""
        action = cell_text(values.get("action"))
        if not action:
            return False
        if _LEADING_REF.match(action) or _LEADING_LETTER.match(action):
            return True
        return not self.table_has_refs

    def _has_content(self, values: dict[str, Any]) -> bool:
        return any(cell_text(v) for k, v in values.items() if k not in ("ref", "section", "area"))

    def _structure(self, values: dict[str, Any]) -> None:
        for key in ("section", "area"):
            text = cell_text(values.get(key))
            if text:
                self._open(text)

    def _open(self, text: str) -> None:
        parts = split_heading(text)
        if parts is None and re.fullmatch(r"\d+(?:\.\d+)?", text):
            parts = ("area" if "." in text else "section", text, "")
        if parts is not None:
            self._open_parts(parts)

    def _open_parts(self, parts: tuple[str, str, str]) -> None:
        kind, number, title = parts
        if kind == "section":
            self.section, self.area, self.group = number, None, None
            section = self.sections.setdefault(number, ParsedSection(number, title))
            section.title = section.title or title
            return
        self.area = number
        section = self.sections.setdefault(number.split(".")[0], ParsedSection(number.split(".")[0], ""))
        if number not in self.areas:
            self.areas[number] = ParsedArea(number, title)
            section.areas.append(self.areas[number])
        self.areas[number].title = self.areas[number].title or title

    def _heading_only(self, row: SheetRow, values: dict[str, Any], extra: dict[str, str]) -> bool:
        """A row whose only text is '2. Identifying needs' (often merged across the table) is a heading."""
        texts = [t for t in ([cell_text(v) for v in values.values()] + list(extra.values())) if t]
        texts = list(dict.fromkeys(texts))
        if len(texts) != 1:
            return False
        if split_heading(texts[0]) is None:
            return self._unnumbered_heading(row, values, texts[0])
        if self.table_has_refs or cell_text(values.get("action")) != texts[0] or _is_heading_text(texts[0]):
            self._open(texts[0])
            return True
        return False

    def _unnumbered_heading(self, row: SheetRow, values: dict[str, Any], text: str) -> bool:
        """A row whose only text is in its first cell, outside the action, owner, due, rating and
        progress columns (a band merged across the table, "Leadership and governance"), is a heading:
        in a table without refs, or with refs that carry no section (1, 2, 3), it opens the next
        section. Reported, so nothing vanishes unseen."""
        assert self.layout is not None
        content = {self.layout.columns[k] for k in ("action", "owner", "due", "rag", "progress", "outcomes")
                   if k in self.layout.columns}
        first = next((i for i, c in enumerate(row.cells) if cell_text(c)), None)
        if first is None or first in content or len(text) > 200 or any_ref(text) or _LETTER.match(text):
            return False
        self.plan.warnings.append(Warning_(None, "row", f"{self._where(row.number)}: '{text[:60]}' read as a "
                                           "heading", row.number))
        if not self.table_has_refs or self.flat_refs:
            numbers = [int(n) for n in self.sections if n.isdigit()]
            self._open_parts(("section", str(max(numbers, default=0) + 1), " ".join(text.split())))
        return True

    def _start(self, ref_text: str, row: SheetRow, values: dict[str, Any], extra: dict[str, str]) -> None:
        values = dict(values)
        ref, generated = self._ref(ref_text, values)
        ref = self._lost_zero(ref, values.get("ref"), row)
        self._heading_row_above(ref)
        if ref in self.seen:
            self.plan.warnings.append(Warning_(ref, "ref", f"{self._where(row.number)}: {ref} appears again (first at "
                                               f"{self.seen[ref]}): this row is not imported", row.number))
            self.skipping = True
            return
        self.skipping = False
        self.seen[ref] = self._where(row.number)
        section, area = self._place(ref)
        if section and section not in self.sections:
            self.sections[section] = ParsedSection(section, "")
        draft = _Draft(ref, row.number, self._where(row.number), section=section, area=area, generated=generated)
        self.drafts.append(draft)
        self._merge(draft, values, extra)
        if row.number in self.hidden:
            self._warn(draft, "row", "the row is hidden in Excel: imported (delete the row if it is not part of the "
                                     "plan)")
        if not generated and re.fullmatch(r"\d{1,3}", ref):
            self.group = draft

    def _lost_zero(self, ref: str, raw: Any, row: SheetRow) -> str:
        """Excel stores a ref typed as 1.10 as the number 1.1, so the tenth action of section 1
        would come in as a second 1.1 and be left out. A number that repeats a ref already seen,
        straight after the ref one below its reading with the zero back (1.1 after 1.9, 1.2
        after 1.19), is read that way, and said."""
        whole = re.fullmatch(r"(\d+)\.(\d+)", ref)
        if not isinstance(raw, float) or ref not in self.seen or whole is None or not self.drafts:
            return ref
        major, minor = whole.groups()
        if self.drafts[-1].ref != f"{major}.{int(minor + '0') - 1}" or f"{major}.{minor}0" in self.seen:
            return ref
        restored = f"{major}.{minor}0"
        self.plan.warnings.append(Warning_(restored, "ref", f"{self._where(row.number)}: the number {ref} after "
                                           f"{self.drafts[-1].ref} read as {restored} (Excel drops the zero of a "
                                           "ref typed as a number: format the Ref column as Text)", row.number))
        return restored

    def _ref(self, ref_text: str, values: dict[str, Any]) -> tuple[str, bool]:
        """The row's ref: its Ref cell, a ref at the start of its action, a group letter, or generated."""
        letter = _LETTER.match(ref_text)
        action = cell_text(values.get("action"))
        if not ref_text and action:
            lead = _LEADING_REF.match(action) or _LEADING_LETTER.match(action)
            if lead:
                values["action"] = action[lead.end():]
                ref_text = lead.group(1)
                letter = _LETTER.match(ref_text)
        if letter and self.group is not None:
            return self._lettered(letter["l"]), False
        if letter and self.section:
            return f"{self.section}{letter['l']}", False
        if ref_text:
            return any_ref(ref_text) or " ".join(ref_text.split()), False
        return self._generate(), True

    def _heading_row_above(self, ref: str) -> None:
        """Row '1 | Priority 1: Early help' (a title only) followed by 1.1 is section 1's heading, not an action.

        Left as an action it would get reminders with no owner and count in every report.
        """
        group = self.group
        if group is None or group not in self.drafts or not ref.startswith(f"{group.ref}."):
            return
        if set(group.values) - {"action"} or any(group.extra.values()):
            return
        self.drafts.remove(group)
        del self.seen[group.ref]
        title = _join_text(group.values.get("action", []))
        parts = split_heading(title)
        self._open_parts(("section", group.ref, parts[2] if parts and parts[1] == group.ref else title))
        self.plan.warnings.append(Warning_(None, "row", f"{group.where}: '{title[:60]}' has a ref but only a title: "
                                           f"read as the heading of section {group.ref}", group.line))

    def _lettered(self, letter: str) -> str:
        """'b' under group row '1' -> '1b'; the group row itself becomes section 1 (it holds no action)."""
        group = self.group
        assert group is not None
        if group in self.drafts:
            self.drafts.remove(group)
            del self.seen[group.ref]
            title = _join_text(group.values.get("action", []))
            self._open_parts(("section", group.ref, title))
        return f"{group.ref}{letter}"

    def _generate(self) -> str:
        if not self.table_generated:
            self.table_generated = True
            self.tables_without_refs += 1
        prefix = f"{self.section}." if self.section else (
            f"{self.tables_without_refs}." if self.tables_without_refs > 1 else "")
        while True:
            self.generated[prefix] = self.generated.get(prefix, 0) + 1
            ref = f"{prefix}{self.generated[prefix]}"
            if ref not in self.seen:
                self.preview.generated_refs.append(ref)
                return ref

    def _place(self, ref: str) -> tuple[str | None, str | None]:
        """Section and area of an action: its Section/Area cells, else its ref (1.1a -> 1, 1.1)."""
        assert self.layout is not None
        m = re.match(r"^(\d+)\.(\d+)[a-z.]", ref)
        numbered = re.match(r"^\d+\.\d", ref)  # 2.1 is in section 2, whatever heading came last
        section = self.section if "section" in self.layout.columns else (
            ref.split(".")[0] if numbered else self.section)
        derived = f"{m.group(1)}.{m.group(2)}" if m else None
        if derived in self.areas:
            return section, derived
        return section, self.area if self.area and (not m or ref.startswith(self.area)) else None

    def _merge(self, draft: _Draft, values: dict[str, Any], extra: dict[str, str]) -> None:
        for key, value in values.items():
            if key not in ("ref", "section", "area") and cell_text(value):
                draft.add(key, value)
        for name, text in extra.items():
            if text and text not in draft.extra.setdefault(name, []):
                draft.extra[name].append(text)

    def _orphan(self, row: SheetRow, values: dict[str, Any], extra: dict[str, str]) -> None:
        start = next(t for t in [*map(cell_text, values.values()), *extra.values()] if t)[:60]
        if self.skipping:
            return
        if not self.drafts:
            self.plan.warnings.append(Warning_(None, "row", f"{self._where(row.number)}: row without a ref before any "
                                               f"action, starting '{start}': not imported", row.number))
            return
        draft = self.drafts[-1]
        self._merge(draft, values, extra)
        self.plan.warnings.append(Warning_(draft.ref, "row", f"{self._where(row.number)}: row without a ref, starting "
                                           f"'{start}': joined to {draft.ref}", row.number))

    # ------------------------------------------------------------------ result

    def finish(self, text: str) -> ParsedPlan:
        rated = [cell_text(v) for d in self.drafts for v in d.values.get("rag", [])]
        brag = self.brag_header or ratings.defines_brag(text) or any(ratings.parse_rating(t).blue for t in rated)
        self.scale: ratings.Scale = "brag" if brag else "rag"
        self.preview.scale = self.scale
        self.plan.rating_scale = "brag" if brag else None  # no sign of BRAG: the plan keeps its scale
        self.month_first = self._month_first()
        self.plan.actions = [self._finish(d) for d in self.drafts]
        self.plan.sections = list(self.sections.values())
        generated = [d.ref for d in self.drafts if d.generated]
        if generated:
            self.plan.warnings.append(Warning_(None, "ref", f"{len(generated)} action(s) had no ref: refs generated "
                                               f"from their position ({', '.join(generated[:5])}"
                                               f"{', …' if len(generated) > 5 else ''})"))
        return self.plan

    def _finish(self, d: _Draft) -> ParsedAction:
        text = _join_text(d.values.get("action", []))
        outcomes = _join_text(d.values.get("outcomes", []))
        if outcomes:
            text = f"{text}\n\nAnticipated outcomes: {outcomes}" if text else f"Anticipated outcomes: {outcomes}"
        if not text:
            self.plan.warnings.append(Warning_(d.ref, "text", f"{d.where}: {d.ref} has no action text", d.line))
        owner = " ".join(" ".join(cell_text(v) for v in d.values.get("owner", [])).split())
        action = ParsedAction(d.ref, text, owner, section=d.section, area=d.area, line=d.line,
                              progress=_join_text(d.values.get("progress", [])),
                              extra={k: "\n".join(v) for k, v in d.extra.items() if v})
        self._due(action, d, d.values.get("due", []))
        self._milestones(action, d.values.get("milestones", []))
        self._rating(action, d, d.values.get("rag", []))
        return action

    def _due(self, action: ParsedAction, d: _Draft, values: list[Any]) -> None:
        dates = [_as_date(v) for v in values]
        real = [x for x in dates if x is not None]
        action.due_text = " ".join(" ".join(cell_text(v) for v in values).split())
        if real:
            action.due = max(real)
            action.milestones = sorted({x for x in real if x < action.due})
            if any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                self._warn(d, "due", f"the due date was a number; read as an Excel date {action.due}")
                action.due_text = " ".join(cell_text(_as_date(v) or v) for v in values)  # "31 March 2024", not 45382
            return
        parsed = parse_due(action.due_text)
        action.due, action.milestones = parsed.due, parsed.milestones
        numeric = _NUMERIC_DATE.match(action.due_text)
        if self.month_first and numeric and int(numeric["b"]) <= 12 and action.due is not None:
            action.due = action.due.replace(month=action.due.day, day=action.due.month)  # 04/05/2024: 5 April
        for message in parsed.warnings:
            self._warn(d, "due", message)
        if parsed.kind in ("ongoing", "to-be-determined"):
            self._warn(d, "due", f"'{action.due_text}' gives no due date: reminders wait for one")

    def _month_first(self) -> bool:
        """Dates such as 03/13/2024 (only month first reads) and none such as 13/03/2024: an American plan.

        Then 04/05/2024 in the same plan is 5 April, not 4 May; the summary says so once.
        """
        numeric = [m for d in self.drafts for v in d.values.get("due", [])
                   if (m := _NUMERIC_DATE.match(cell_text(v)))]
        american = [m.group(0) for m in numeric if int(m["a"]) <= 12 < int(m["b"])]
        british = [m.group(0) for m in numeric if int(m["b"]) <= 12 < int(m["a"])]
        if american and british:
            self.plan.warnings.append(Warning_(None, "due", f"dates are written both day first ({british[0]}) and "
                                               f"month first ({american[0]}): dates such as 04/05/2024 are read day "
                                               "first (4 May); check them"))
        elif american:
            self.plan.warnings.append(Warning_(None, "due", f"dates are written month first ({american[0]}): dates "
                                               "such as 04/05/2024 are read month first too (5 April)"))
        return bool(american) and not british

    def _milestones(self, action: ParsedAction, values: list[Any]) -> None:
        for value in values:
            date = _as_date(value)
            found = [date] if date else [f.date for f in find_dates(cell_text(value))[0]]
            action.milestones = sorted({*action.milestones, *found})

    def _rating(self, action: ParsedAction, d: _Draft, values: list[Any]) -> None:
        values = [self._between(d, v) for v in values]
        readings = [ratings.parse_rating(cell_text(v), self.scale) for v in values]
        rated = [r for r in readings if r.rag]
        action.rag = rated[0].rag if rated else None
        action.complete = ratings.is_complete(action.rag, bool(rated) and rated[0].complete, self.scale)
        colours = [r.rag for r in rated]
        if len(set(colours)) > 1:
            self._warn(d, "rag", f"conflicting RAG ratings {', '.join(c or '' for c in colours)}: kept {colours[0]}")
        elif not rated and any(r.colour_lost for r in readings):
            self._warn(d, "rag", "RAG colour lost (a bullet without its colour): RAG left unknown")
        elif not rated and values:
            self._warn(d, "rag", f"RAG '{cell_text(values[0])}' not understood: RAG left unknown")

    def _between(self, d: _Draft, value: Any) -> Any:
        """'Amber/Green' (between two colours): the lower one, reported, so nothing looks better than it is."""
        parts = [p.strip() for p in re.split(r"\s*[/\\]\s*|\s+to\s+", cell_text(value)) if p.strip()]
        if len(parts) != 2 or ratings.parse_rating(cell_text(value), self.scale).rag:
            return value
        colours = [ratings.parse_rating(p, self.scale).rag for p in parts]
        if None in colours:
            return value
        lower = max(parts, key=lambda p: _LOWER.index(ratings.parse_rating(p, self.scale).rag or "green"))
        self._warn(d, "rag", f"RAG '{cell_text(value)}' is between two ratings: read as the lower, {lower}")
        return lower

    def _prefix(self) -> str:
        return f"{self.name}: " if self.name else ""

    def _where(self, number: int | None) -> str:
        return f"{self._prefix()}{self.unit} {number}"

    def _warn(self, d: _Draft, field_name: str, message: str) -> None:
        self.plan.warnings.append(Warning_(d.ref, field_name, f"{d.where}: {message}", d.line))


def titles_above_header(rows: list[SheetRow]) -> tuple[list[str], list[SheetRow]]:
    """A Word or PDF table's own title rows ("Priority 1 – Early help" merged across, above
    its header row) as headings, and the rows left.

    Left in the table they were passed over with the rows above the header, so the
    priority's title was lost and, in a plan without refs, the next table's rows were
    numbered on from the first instead of as section 2.
    """
    titles: list[str] = []
    for index, row in enumerate(rows):
        texts = list(dict.fromkeys(t for t in (cell_text(c) for c in row.cells) if t))
        if len(texts) != 1 or len(texts[0]) > 150:
            known = {column_key(t) for t in texts} - {None}
            return (titles, rows[index:]) if titles and len(known) >= 2 else ([], rows)
        titles.append(" ".join(texts[0].split()))
    return [], rows


def _two_row_header(top: SheetRow, below: SheetRow, layout: _Layout) -> SheetRow | None:
    """A header over two rows ("Progress" merged over "Update" and "RAG"), as one row; else None.

    The row under the header is its second row when it holds only short labels, nothing in
    the action column but a column name, and at least one label under a blank header cell
    or two labels that name columns. A label naming a column replaces the one above it;
    another is added to it ("Target date" over "Revised": "Target date Revised").
    """
    texts = [cell_text(c) for c in below.cells]
    filled = [(i, t) for i, t in enumerate(texts) if t]
    action = layout.columns.get("action")
    if not filled or any(not isinstance(below.cells[i], str) or len(t) > 60 or "\n" in t for i, t in filled):
        return None
    if action is not None and action < len(texts) and texts[action] and column_key(texts[action]) is None:
        return None
    header = [cell_text(c) for c in top.cells] + [""] * max(0, len(texts) - len(top.cells))
    named = sum(column_key(t) is not None for _, t in filled)
    if not (any(not header[i] for i, _ in filled) or named >= 2) or any(any_ref(t) for _, t in filled):
        return None
    combined, parent = list(header), ""
    for i, above in enumerate(header):
        parent = above or parent
        sub = texts[i] if i < len(texts) else ""
        if sub and sub != above:
            combined[i] = sub if column_key(sub) or not parent else f"{parent} {sub}"
    return SheetRow(below.number, combined)


def _at(row: SheetRow, i: int) -> Any:
    return row.cells[i] if i < len(row.cells) else None


def _is_heading_text(text: str) -> bool:
    return len(text) <= 80 and not text.rstrip().endswith(".")


def _is_date(text: str) -> bool:
    return parse_due(text).due is not None


def _is_rating(text: str) -> bool:
    reading = ratings.parse_rating(text)
    return reading.rag is not None or reading.colour_lost


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
    texts = [html_to_text(t) if _TAGS.search(t) else t.strip() for t in (cell_text(v) for v in values)]
    return join_fragments([t for t in texts if t])
