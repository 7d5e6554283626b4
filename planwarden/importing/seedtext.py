"""Reading the seed text layout: action plans extracted from Word/PDF as text.

The layout (both seeds, tests/data/seeds): headings for sections (``## 1. …``,
``1. Multi Agency Partnerships;``) and areas (``### 1.1 Partnership practice``, or a tab
row ``4.3 Review of multiple plans``); area texts (``<b>Priority Action</b>\t…``,
``**Priority Action** …``, ``### What needs to improve`` + a paragraph); then tables of
tab-separated rows whose columns come from each table's header row. Extraction adds
noise: running page marks (``OFFICIAL``, page numbers), markdown separator rows, header
rows repeated or split over a page break, and rows that continue the action above after
a page break (they start with a tab and have no ref).

Decisions for doubtful input (user documentation repeats them):

- Everything before the action part is ignored (contents, introduction, glossary,
  governance): the action part starts at the section heading just before the first
  action table's header row.
- A row without a ref continues the action above: each cell is added to the same
  column of that action (a piece ending mid-sentence continues on the same line,
  otherwise it starts a new paragraph). It is merged silently only when it is a clean
  continuation: empty ref cell, the table's number of cells, in the same table, nothing
  unreadable. Every other row without a ref is still merged (nothing is dropped) but
  reported with field "row", its line number and how it starts. A silent row that
  carries on none of the action's sentences is also reported when the next action's own
  row is empty: seed 003 centres cells vertically, so such a row may be the next one's.
- A row whose cells do not line up with the header (PDF extraction drops empty cells)
  has its cells matched to columns by content: a ref only in the Ref column, a rating
  only in RAG, a date-like text in the due column, a cell ending mid-sentence continued
  by the next row's cell. Such rows are always reported.
- Refs the document garbled are read from their place, reported (field "ref") and used
  only when no other row carries them: a lone number under a section heading (``1``
  under section 3 is 3.1); 1–3 unreadable characters between two refs (``ļ`` between
  1.3 and 1.5 is 1.4); a row with action text but no ref opening a section's table
  before its first numbered action (4.1 before 4.2).
- A ref seen twice: the first is kept; the later row and the rows continuing it are
  left out and reported (merging two different actions would corrupt both).
- Anticipated outcomes (seed 003) stay in the action text as a last paragraph
  "Anticipated outcomes: …": the stored action has no field of its own for them.
- Sub-rows of one action that repeat whole cells (seed 003, 4.2): a repeated owner or
  timescale is not added again, a repeated sentence is kept once (reported).
- A RAG bullet (``•``) whose colour was lost gives no RAG and a warning; a timescale of
  ``Update July 2013`` is when an update is expected: no due date, with a warning.
- Cells whose letters are mostly not Latin (OCR noise such as ``Тосом, поло``) and cells
  with no letters or digits in text columns (a lone ``•``, ``, ,``) are left out, and
  the row is reported. Paragraphs after the last table and tables that are not action
  tables (version control) are not imported, and reported.
- A document with no action table gives no actions and one warning (field "table");
  the caller refuses it with ImportFormatError.
"""

from __future__ import annotations

import itertools
import re
import statistics
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from planwarden.plan.dates import MONTHS, parse_due, parse_rag
from planwarden.importing.htmltext import continues, ends_sentence, html_to_text, join_fragments
from planwarden.importing.parsed import ParsedAction, ParsedArea, ParsedPlan, ParsedSection, Warning_
from planwarden.importing.spreadsheet import canonical_ref, column_key, split_heading

_TAGS = re.compile(r"<[^>]+>")
_MD_HEADING = re.compile(r"^\s*#{1,6}\s*")
_PAGE_MARK = re.compile(r"^(?:official(?:[- ]sensitive)?|page \d+(?: of \d+)?|\d{1,3})$", re.I)
_SEPARATOR = re.compile(r"^:?-{2,}:?$")
_UPDATE_DATE = re.compile(r"^\W*date of progress updates?\W*(?P<date>.+)$", re.I)
_LABELS = {"priority action": "priority_action", "priority actions": "priority_action",
           "what needs to improve": "what_needs_to_improve", "what inspectors found": "what_inspectors_found"}
_INLINE_LABEL = re.compile(r"^\s*(?:\*\*|<b>)\s*(?P<label>[^*<]+?)\s*:?\s*(?:\*\*|</b>)\s*:?\s*(?P<text>.*)$", re.I)
_TRAILING_HEADER = re.compile(r"\s+Action\s+(?:Anticipated\s+Outcomes|Action\s+Owner|Lead)\b[\w\s/]*$")
_MONTH_WORD = r"(?:" + "|".join(MONTHS) + r")[a-z]*\.?"
_TIMESCALE = re.compile(rf"^(?:(?:update|by|end|of|the|w/c|before|on|in|from|during|early|mid|late)\s+)*"
                        rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?(?:{_MONTH_WORD}\s*)?"
                        rf"(?:\d{{4}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})?$", re.I)  # "Update July 2013", "2013", "End 2012"
_NO_DATE = re.compile(r"^(?:n/?a|tbc|tbd|ongoing|to be (?:determined|confirmed)\b.*)$", re.I)
_UPDATE_MARK = re.compile(r"^\(?(?:update\s+\d|updated\b|agreed\b)", re.I)
TEXT_KEYS = ("action", "outcomes", "progress")
SHORT_KEYS = ("owner", "due")


# --------------------------------------------------------------------------- lines


@dataclass
class _Line:
    number: int  # 1-based line in the file
    cells: list[str]

    @cached_property
    def texts(self) -> list[str]:
        return [_plain(c) for c in self.cells]

    @property
    def is_row(self) -> bool:
        return len(self.cells) > 1


def _plain(cell: str) -> str:
    """Cell text without tags, markdown emphasis or extra spaces."""
    return " ".join(_TAGS.sub(" ", cell).replace("**", " ").split())


def _lines(text: str) -> list[_Line]:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return [_Line(i, line.split("\t")) for i, line in enumerate(text.split("\n"), start=1)]


def _blank(line: _Line) -> bool:
    return not any(line.texts)


def _noise(line: _Line) -> bool:
    """Page marks and markdown separator rows carry nothing of the plan."""
    texts = [t for t in line.texts if t]
    if len(texts) == 1 and not line.is_row and _PAGE_MARK.match(texts[0]):
        return True
    return bool(texts) and all(_SEPARATOR.match(t) for t in texts)


# --------------------------------------------------------------------------- tables


@dataclass
class _Layout:
    """The columns of one table, in order, from its header row."""

    keys: list[str]  # "" for a column we do not read
    has_ref: bool

    @property
    def columns(self) -> list[str]:
        return self.keys if self.has_ref else ["ref", *self.keys]


def _header_layout(line: _Line) -> _Layout | None:
    """A table's header row (Ref / Action / Action Owner / Due by / RAG / Progress…), or None."""
    if not line.is_row:
        return None
    texts = list(line.texts)
    while texts and not texts[-1]:
        texts.pop()
    keys = ["ref" if i == 0 and not t else (column_key(t) or "") for i, t in enumerate(texts)]
    known = {k for k in keys if k}
    if "action" not in known or len(known & {"owner", "due", "rag", "progress", "outcomes"}) < 2:
        return None
    if any(t and not k for t, k in zip(texts, keys)):
        return None
    return _Layout(keys, "ref" in keys)


def _looks_like_header(line: _Line) -> bool:
    """A header of some other table (version control…): short titles, no sentences."""
    texts = [t for t in line.texts if t]
    return len(texts) >= 3 and all(len(t) <= 40 and not ends_sentence(t) for t in texts) \
        and canonical_ref(texts[0]) is None


def _is_header_tail(line: _Line) -> bool:
    """The second half of a header row split by a page break: only italic/bold captions."""
    cells = [c.strip() for c in line.cells if c.strip()]
    return bool(cells) and all(re.fullmatch(r"<(i|b|em|strong)>.*</\1>", c) for c in cells)


def _score(column: str, text: str, open_columns: set[str]) -> int:
    """How well a cell's text fits a column, when cells have to be matched by content."""
    if not text:
        return 0
    if column == "ref":
        return 3 if _ref_like(text) else (1 if len(text) <= 3 else -5)
    if column == "rag":
        reading = parse_rag(text)
        return 3 if reading.rag or reading.colour_lost else -10
    if column == "due":
        return 2 if _TIMESCALE.match(text) or _NO_DATE.match(text) else -3
    bonus = 2 if column in open_columns and len(text) > 3 else 0  # a cell ending mid-sentence goes on
    if column == "owner":
        lead_like = len(text) <= 60 and text[0].isupper() and not ends_sentence(text) and not re.search(r"\d", text)
        return 1 + bonus if lead_like else -2
    if column == "progress":
        return bonus + (3 if _UPDATE_MARK.match(text) else 0) + (1 if len(text) > 80 else 0)
    return bonus


def _fits(pairs: list[tuple[str, str]]) -> bool:
    """A row mapped by position is believable: no sentence in the Ref or RAG column."""
    return all(_score(k, _plain(c), set()) >= 0 for k, c in pairs if k in ("ref", "rag"))


def _align(texts: list[str], columns: list[str], open_columns: set[str]) -> list[str]:
    """Columns for a row with fewer cells than the table: the best-fitting order-keeping match."""
    best: tuple[int, tuple[int, ...]] | None = None
    for combo in itertools.combinations(range(len(columns)), len(texts)):
        score = sum(_score(columns[c], t, open_columns) for c, t in zip(combo, texts))
        if best is None or score > best[0]:
            best = (score, combo)
    assert best is not None
    return [columns[c] for c in best[1]]


# --------------------------------------------------------------------------- drafts


@dataclass
class _Draft:
    """An action while its rows are being read."""

    ref: str
    line: int
    section: str | None
    area: str | None
    table: int
    parts: dict[str, list[str]] = field(default_factory=dict)
    rag_cells: list[str] = field(default_factory=list)
    text_lines: list[int] = field(default_factory=list)
    own_text: bool = True
    loose_rows: list[tuple[int, str]] = field(default_factory=list)  # merged silently, starting no sentence

    def add(self, key: str, text: str, *, dedupe: bool = False) -> None:
        bucket = self.parts.setdefault(key, [])
        if not (dedupe and key in SHORT_KEYS and _repeats(text, bucket)):
            bucket.append(text)

    def open_columns(self) -> set[str]:
        return {k for k, v in self.parts.items() if v and not ends_sentence(v[-1])}


def _repeats(text: str, bucket: list[str]) -> bool:
    from difflib import SequenceMatcher

    norm = text.casefold()
    if norm in " ".join(bucket).casefold():
        return True
    return any(SequenceMatcher(None, norm, b.casefold()).ratio() >= 0.75 for b in bucket)


def _unreadable(text: str) -> bool:
    """OCR noise: most letters are not Latin (e.g. Cyrillic look-alikes)."""
    letters = [ch for ch in text if ch.isalpha()]
    foreign = [ch for ch in letters if not unicodedata.name(ch, "").startswith("LATIN")]
    return bool(letters) and len(foreign) > len(letters) / 3


def _empty_of_content(text: str) -> bool:
    return sum(ch.isalnum() for ch in text) < 2


# --------------------------------------------------------------------------- the reader


class _SeedReader:
    """Reads the lines of the action part in order, keeping the state a person would."""

    def __init__(self, lines: list[_Line], plan: ParsedPlan) -> None:
        self.lines, self.plan = lines, plan
        self.sections: dict[str, ParsedSection] = {}
        self.areas: dict[str, ParsedArea] = {}
        self.section: str | None = None
        self.area: str | None = None
        self.label: tuple[ParsedArea, str] | None = None
        self.layout: _Layout | None = None
        self.table = 0
        self.table_prose: list[tuple[int, str]] = []
        self.pending_prose: list[tuple[int, str]] = []
        self.other_table = False
        self.header_tail = False
        self.interrupted = False
        self.draft: _Draft | None = None
        self.drafts: list[_Draft] = []
        self.seen: dict[str, int] = {}
        self.skipping = False
        self.explicit = _explicit_refs(lines)

    # ------------------------------------------------------------------ dispatch

    def read(self) -> None:
        for line in self.lines:
            if _blank(line) or _noise(line):
                continue
            self._line(line)
        self._settle_prose()
        self.plan.sections = list(self.sections.values())

    def _line(self, line: _Line) -> None:
        handlers: list[Callable[[_Line], bool]] = [self._heading, self._label, self._update_date,
                                                   self._header, self._row]
        for handler in handlers:
            if handler(line):
                return
        self._prose(line)

    def warn(self, ref: str | None, field_name: str, line: int, message: str) -> None:
        self.plan.warnings.append(Warning_(ref, field_name, f"line {line}: {message}", line))

    # ------------------------------------------------------------------ structure

    def _heading(self, line: _Line) -> bool:
        texts = line.texts
        if any(texts[1:]):
            return False
        parts = split_heading(_MD_HEADING.sub("", texts[0]))
        if parts is None or (not _MD_HEADING.match(line.cells[0]) and parts[0] == "section"
                             and not re.match(r"^\s*\d{1,2}\.", texts[0])):
            return False
        kind, number, title = parts
        if kind == "section":
            self._open_section(number, title)
        else:
            self._open_area(number, title)
        self.interrupted, self.label, self.other_table = True, None, False
        return True

    def _open_section(self, number: str, title: str) -> None:
        self._settle_prose()
        self.section, self.area = number, None
        section = self.sections.setdefault(number, ParsedSection(number, title))
        section.title = section.title or title

    def _open_area(self, number: str, title: str) -> None:
        section_number = number.split(".")[0]
        if section_number not in self.sections:
            self._open_section(section_number, "")
        self.section, self.area = section_number, number
        if number not in self.areas:
            self.areas[number] = ParsedArea(number, title)
            self.sections[section_number].areas.append(self.areas[number])

    def _label(self, line: _Line) -> bool:
        """Area texts: '<b>What needs to improve</b>\\t…', '**Priority Action** …', '### What … found'."""
        first = line.cells[0]
        heading = _MD_HEADING.match(first)
        inline = _INLINE_LABEL.match(first) if not line.is_row else None
        label = (inline["label"] if inline else _plain(_MD_HEADING.sub("", first))).lower().rstrip(":")
        if label not in _LABELS or (not line.is_row and not heading and not inline):
            return False
        area = self.areas.get(self.area or "")
        if area is None:
            self.warn(None, "area", line.number, f"'{_plain(first)}' outside any area: not kept")
            return True
        text = inline["text"] if inline else "\n\n".join(html_to_text(c) for c in line.cells[1:] if c.strip())
        self.label = (area, _LABELS[label])
        self._append_label(html_to_text(text))
        return True

    def _append_label(self, text: str) -> None:
        if self.label and text:
            area, attr = self.label
            setattr(area, attr, join_fragments([getattr(area, attr), text]))

    def _update_date(self, line: _Line) -> bool:
        return not line.is_row and bool(_UPDATE_DATE.match(line.texts[0]))

    def _prose(self, line: _Line) -> None:
        text = html_to_text(_TRAILING_HEADER.sub("", "\t".join(line.cells)).replace("\t", " "))
        if self.label:
            self._append_label(text)
            return
        if text:
            self.pending_prose.append((line.number, text))
        self.interrupted = True

    def _flush_prose(self, section: str | None) -> None:
        """Paragraphs before a section's first table describe the section."""
        if section and self.pending_prose and section in self.sections:
            target = self.sections[section]
            target.description = join_fragments([target.description, *(t for _, t in self.pending_prose)])
        self.pending_prose = []

    def _settle_prose(self) -> None:
        """Paragraphs not followed by a table: a description only when right under a section heading."""
        if self.section and not any(d.section == self.section for d in self.drafts):
            self._flush_prose(self.section)
        for number, text in self.pending_prose:
            self.warn(None, "text", number, f"text outside any table, not imported: '{text[:60]}'")
        self.pending_prose = []

    # ------------------------------------------------------------------ tables

    def _header(self, line: _Line) -> bool:
        layout = _header_layout(line)
        if layout is None:
            return False
        self.layout, self.table = layout, self.table + 1
        self.table_prose, self.pending_prose = self.pending_prose, []
        self.header_tail, self.interrupted, self.label, self.other_table = True, False, None, False
        return True

    def _row(self, line: _Line) -> bool:
        if not line.is_row:
            return False
        if not self.other_table and self.interrupted and _looks_like_header(line):
            self.other_table = True
            self.warn(None, "table", line.number, f"a table that is not an action table ('{_start(line)}'): "
                                                  "not imported")
        if self.other_table:
            return True
        if self.layout is None:
            self.warn(None, "row", line.number, f"row outside any action table, starting '{_start(line)}': "
                                                "not imported")
            return True
        if self.header_tail and _is_header_tail(line):
            return True
        self.header_tail = False
        self._table_row(line)
        return True

    def _map(self, line: _Line) -> tuple[list[tuple[str, str]], bool]:
        """(column, raw cell) pairs for a row, and whether the columns had to be guessed."""
        assert self.layout is not None
        cells, columns = list(line.cells), self.layout.columns
        while len(cells) > len(columns) and not cells[-1].strip():
            cells.pop()
        if len(cells) > len(columns):  # more cells than the header: the extra ones join the last column
            cells = [*cells[:len(columns) - 1], " ".join(cells[len(columns) - 1:])]
            return list(zip(columns, cells)), True
        if len(cells) == len(columns) and _fits(pairs := list(zip(columns, cells))):
            return pairs, False
        first = _plain(cells[0])
        if not self.layout.has_ref and len(cells) == len(self.layout.keys) and not _ref_like(first) \
                and _fits(pairs := list(zip(self.layout.keys, cells))):
            return pairs, False
        open_columns = self.draft.open_columns() if self.draft else set()
        return list(zip(_align([_plain(c) for c in cells], columns, open_columns), cells)), True

    def _table_row(self, line: _Line) -> None:
        pairs, guessed = self._map(line)
        ref_cell = next((_plain(c) for k, c in pairs if k == "ref"), "")
        ref = canonical_ref(ref_cell)
        if ref is None:
            ref = self._infer_ref(ref_cell, pairs, line)
        if ref is not None:
            self._start(ref, line, pairs, guessed)
        else:
            self._continue(line, pairs, guessed, ref_cell)

    # ------------------------------------------------------------------ refs

    def _infer_ref(self, cell: str, pairs: list[tuple[str, str]], line: _Line) -> str | None:
        """Read a ref the document garbled or left out, when its place makes it certain."""
        candidate: str | None
        if re.fullmatch(r"\d{1,2}", cell) and self.section:
            candidate, why = f"{self.section}.{int(cell)}", f"the ref cell reads '{cell}' under section {self.section}"
        elif cell and len(cell) <= 3 and any(ch.isalnum() for ch in cell) and not parse_rag(cell).rag \
                and self.draft and self.draft.section == self.section:
            candidate, why = _next_ref(self.draft.ref), f"the ref cell reads '{cell}' after {self.draft.ref}"
        elif not cell and self._opens_section(pairs):
            candidate, why = f"{self.section}.1", (f"the row has no ref but opens the table of section "
                                                   f"{self.section} with action text")
        else:
            return None
        if candidate is None or candidate in self.explicit or candidate in self.seen \
                or not self._fits_between(candidate):
            return None
        self.warn(candidate, "ref", line.number, f"{why}: read as {candidate} - check")
        return candidate

    def _opens_section(self, pairs: list[tuple[str, str]]) -> bool:
        has_text = any(k == "action" and _plain(c) for k, c in pairs)
        return bool(self.section) and has_text and _numeric_style(self.explicit) and (
            self.draft is None or self.draft.section != self.section)

    def _fits_between(self, candidate: str) -> bool:
        """The inferred ref must sort after the last ref read and before the next one written."""
        key = _ref_key(candidate)
        if self.draft and _ref_key(self.draft.ref) >= key:
            return False
        later = [r for r in self.explicit if r not in self.seen and r.split(".")[0] == candidate.split(".")[0]]
        return all(_ref_key(r) > key for r in later)

    # ------------------------------------------------------------------ actions

    def _start(self, ref: str, line: _Line, pairs: list[tuple[str, str]], guessed: bool) -> None:
        if ref in self.seen:
            self.warn(ref, "ref", line.number, f"{ref} appears again (first at line {self.seen[ref]}): this row "
                                               "and the rows continuing it are not imported")
            self.draft, self.skipping = None, True
            return
        self.seen[ref], self.skipping, self.interrupted = line.number, False, False
        if not any(k == "action" and _plain(c) for k, c in pairs):
            self._loose_rows_above(ref)
        section = ref.split(".")[0] if "." in ref else self.section
        if section and section not in self.sections:
            self.sections[section] = ParsedSection(section, "")
        if self.table_prose:
            self.pending_prose = [*self.table_prose, *self.pending_prose]
            self.table_prose = []
            self._flush_prose(section)
        self.draft = _Draft(ref, line.number, section, self._area_for(ref), self.table)
        self.drafts.append(self.draft)
        doubts = self._merge(self.draft, line, [(k, c) for k, c in pairs if k != "ref"], dedupe=False)
        self.draft.own_text = any(k == "action" and _plain(c) for k, c in pairs)
        if guessed:
            doubts.insert(0, "cells matched to columns by content: check owner, due date and progress")
        if doubts:
            self.warn(ref, "row", line.number, f"the row of {ref}: {'; '.join(doubts)}")
        self._mid_sentence(ref, line, pairs)

    def _loose_rows_above(self, ref: str) -> None:
        """The row of ``ref`` has no action text: rows just above it may be its own."""
        if self.draft is None or self.draft.table != self.table:
            return
        above = self.draft.ref
        for number, start in self.draft.loose_rows:
            self.warn(above, "row", number, f"row without a ref joined to {above} (it may belong to {ref} below, "
                                            f"whose row has no action text), starting '{start}'")

    def _area_for(self, ref: str) -> str | None:
        if self.area and ref.startswith(self.area) and ref != self.area:
            return self.area
        m = re.match(r"^(\d+\.\d+)[a-z.]", ref)
        return m.group(1) if m and m.group(1) in self.areas else None

    def _mid_sentence(self, ref: str, line: _Line, pairs: list[tuple[str, str]]) -> None:
        """A numbered row whose text starts mid-sentence probably continues the action above."""
        for key, cell in pairs:
            text = _plain(cell)
            if key in TEXT_KEYS and text[:1].islower() and self.drafts[:-1]:
                self.warn(ref, key, line.number, f"the {key} of {ref} starts mid-sentence ('{text[:40]}…'): its "
                          f"start may belong to {self.drafts[-2].ref}")

    def _continue(self, line: _Line, pairs: list[tuple[str, str]], guessed: bool, ref_cell: str) -> None:
        if self.skipping:
            return
        if self.draft is None:
            self.warn(None, "row", line.number, f"row without a ref before any action, starting "
                                                f"'{_start(line)}': not imported")
            return
        reasons = self._doubts(guessed, ref_cell)
        loose = self._loose(line, pairs)
        reasons += self._merge(self.draft, line, pairs, dedupe=bool(reasons))
        if not reasons and loose:
            self.draft.loose_rows.append((line.number, _start(line)))
        if reasons:
            self.warn(self.draft.ref, "row", line.number, f"row without a ref joined to {self.draft.ref} "
                                                          f"({'; '.join(reasons)}), starting '{_start(line)}'")

    def _loose(self, line: _Line, pairs: list[tuple[str, str]]) -> bool:
        """A row that carries on none of the action's unfinished sentences, and adds no action text.

        Such a row could as well open the next action when that action's own row is
        empty (seed 003 centres cells vertically, so a row's text may start above its ref).
        """
        assert self.draft is not None
        if any(k == "action" and _plain(c) for k, c in pairs):
            self.draft.loose_rows = []
            return False
        parts = self.draft.parts
        return not any(k in parts and parts[k] and continues(parts[k][-1], _plain(c))
                       for k, c in pairs if k in (*TEXT_KEYS, *SHORT_KEYS))

    def _doubts(self, guessed: bool, ref_cell: str) -> list[str]:
        assert self.draft is not None and self.layout is not None
        reasons = []
        if guessed:
            reasons.append("cells matched to columns by content")
        if ref_cell:
            reasons.append(f"ref cell reads '{ref_cell[:30]}', kept as action text")
        if not self.layout.has_ref:
            reasons.append("the table has no Ref column")
        if self.interrupted:
            reasons.append("after a heading or paragraph")
        elif self.draft.table != self.table:
            reasons.append("in a later table")
        return reasons

    def _merge(self, draft: _Draft, line: _Line, pairs: list[tuple[str, str]], *, dedupe: bool) -> list[str]:
        """Add a row's cells to an action; returns what was doubtful about the cells.

        ``dedupe``: the row is already doubtful, so an owner or timescale it repeats is
        not added again (sub-rows of one action repeat them).
        """
        doubts: list[str] = []
        for key, cell in pairs:
            if key == "ref":
                key = "action" if canonical_ref(_plain(cell)) is None else ""
            text = html_to_text(cell) if key not in SHORT_KEYS else _plain(cell)
            if not key or not text:
                continue
            if _unreadable(text) or (key != "rag" and _empty_of_content(text)):
                doubts.append(f"unreadable '{text[:30]}' left out")
                continue
            if key == "rag":
                draft.rag_cells.append(text)
            elif key in (*TEXT_KEYS, *SHORT_KEYS):
                draft.add(key, text, dedupe=dedupe)
                if key == "action" and line.number != draft.line:
                    draft.text_lines.append(line.number)
        return doubts

    # ------------------------------------------------------------------ result

    def actions(self) -> list[ParsedAction]:
        reference = _reference_year(self.drafts, self.plan)
        return [self._finish(d, reference) for d in self.drafts]

    def _finish(self, d: _Draft, reference: int | None) -> ParsedAction:
        text, outcomes, progress = (self._field(d, key) for key in TEXT_KEYS)
        if outcomes:
            text = f"{text}\n\nAnticipated outcomes: {outcomes}" if text else f"Anticipated outcomes: {outcomes}"
        action = ParsedAction(d.ref, text, " ".join(" ".join(d.parts.get("owner", [])).split()),
                              " ".join(" ".join(d.parts.get("due", [])).split()),
                              progress=progress, section=d.section,
                              area=d.area, line=d.line)
        self._finish_due(action, reference)
        self._finish_rag(action, d.rag_cells)
        if not d.own_text and d.text_lines:
            numbers = sorted(set(d.text_lines))
            lines = f"line{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))}"
            self.warn(d.ref, "text", d.line, f"the row of {d.ref} has no action text; it was taken from the rows "
                                             f"below ({lines}) - check it belongs to {d.ref}")
        elif not d.parts.get("action"):
            self.warn(d.ref, "text", d.line, f"{d.ref} has no action text")
        return action

    def _field(self, d: _Draft, key: str) -> str:
        """A text column of the action, with sentences repeated by sub-rows said only once."""
        text, dropped = drop_repeated_sentences(join_fragments(d.parts.get(key, [])))
        if dropped:
            self.warn(d.ref, key, d.line, f"{dropped} repeated sentence{'s' if dropped > 1 else ''} of the {key} "
                                          f"of {d.ref} kept once (the rows below it repeat them)")
        return text

    def _finish_due(self, action: ParsedAction, reference: int | None) -> None:
        parsed = parse_due(action.due_text, reference_year=reference)
        action.due, action.milestones = parsed.due, parsed.milestones
        for message in parsed.warnings:
            self.warn(action.ref, "due", action.line or 0, message)

    def _finish_rag(self, action: ParsedAction, cells: list[str]) -> None:
        readings = [parse_rag(c) for c in cells]
        colours = [r.rag for r in readings if r.rag]
        action.rag = colours[0] if colours else None
        line = action.line or 0
        if len(set(colours)) > 1:
            self.warn(action.ref, "rag", line, f"conflicting RAG ratings ({', '.join(colours)}): kept {colours[0]}")
        elif not colours and any(r.colour_lost for r in readings):
            self.warn(action.ref, "rag", line, "RAG colour lost (a bullet whose colour did not survive the copy "
                                               "out of Word/PDF): RAG left unknown")
        elif not colours and cells:
            self.warn(action.ref, "rag", line, f"RAG '{cells[0]}' not understood: RAG left unknown")


# --------------------------------------------------------------------------- helpers


def drop_repeated_sentences(text: str) -> tuple[str, int]:
    """Say each sentence once: sub-rows of one action in seed 003 repeat whole cells.

    Only sentences of 20 characters or more count, so short phrases that recur
    legitimately ("Done.") are left alone. Returns the text and how many were dropped.
    """
    seen: set[str] = set()
    dropped = 0
    paragraphs = []
    for paragraph in text.split("\n\n"):
        lines = []
        for line in paragraph.split("\n"):
            kept = []
            for sentence in re.split(r"(?<=[.!?])[ \t]+(?=\S)", line):
                norm = " ".join(sentence.casefold().split())
                if len(norm) >= 20 and norm in seen:
                    dropped += 1
                    continue
                seen.add(norm)
                kept.append(sentence)
            if kept:
                lines.append(" ".join(kept))
        if lines:
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs), dropped


def _start(line: _Line) -> str:
    text = " ".join(t for t in line.texts if t)
    return text[:50] + ("…" if len(text) > 50 else "")


def _ref_like(text: str) -> bool:
    return canonical_ref(text) is not None or bool(re.fullmatch(r"\d{1,2}", text))


def _ref_key(ref: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(n), letters) for n, letters in re.findall(r"(\d+)([a-z]*)", ref))


def _next_ref(ref: str) -> str | None:
    """1.3 -> 1.4; 1.1e -> 1.1f."""
    if ref[-1].isalpha():
        return ref[:-1] + chr(ord(ref[-1]) + 1) if ref[-1] < "z" else None
    m = re.match(r"^(.*?)(\d+)$", ref)
    return f"{m.group(1)}{int(m.group(2)) + 1}" if m else None


def _numeric_style(refs: set[str]) -> bool:
    """Refs are plain numbers (1.1, 1.2) rather than lettered (1.1a)."""
    return bool(refs) and all(not r[-1].isalpha() for r in refs)


def _explicit_refs(lines: list[_Line]) -> set[str]:
    refs = set()
    for line in lines:
        if line.is_row:
            ref = canonical_ref(line.texts[0])
            if ref:
                refs.add(ref)
    return refs


def _reference_year(drafts: list[_Draft], plan: ParsedPlan) -> int | None:
    """The plan's usual year, to spot a typo year such as 2103 among 2013 dates."""
    if plan.update_date:
        return plan.update_date.year
    years = [p.due.year for d in drafts
             if (p := parse_due(" ".join(d.parts.get("due", [])))).due is not None]
    return int(statistics.median_low(years)) if years else None


def _title(lines: list[_Line]) -> str:
    for line in lines:
        if re.match(r"^\s*#\s", line.cells[0]):
            return _plain(_MD_HEADING.sub("", line.cells[0]))
    return next((" ".join(t for t in line.texts if t) for line in lines if not _blank(line)), "")


def _plan_heading(lines: list[_Line]) -> ParsedPlan:
    """The plan with its title and "Date of progress updates: 14 December 2022"."""
    plan = ParsedPlan(title=_title(lines))
    for line in lines:
        m = _UPDATE_DATE.match(line.texts[0]) if not line.is_row else None
        if m:
            plan.update_date = parse_due(m["date"]).due
            break
    return plan


def _kind(line: _Line) -> str:
    """What a line is, for finding where the action part starts."""
    first = line.cells[0]
    if any(line.texts[1:]):
        return "label" if line.texts[0].lower().rstrip(":") in _LABELS else "row"
    heading = split_heading(_plain(_MD_HEADING.sub("", first)))
    if heading:
        return heading[0]
    if _plain(_MD_HEADING.sub("", first)).lower().rstrip(":") in _LABELS or _INLINE_LABEL.match(first):
        return "label"
    return "title" if _MD_HEADING.match(first) else "prose"


def _action_part(lines: list[_Line]) -> list[_Line] | None:
    """The lines from the section heading before the first action table's header, or None.

    Walking back from the header over the area heading, area texts and paragraphs, the
    first section heading opens the action part; a table row or a title (``# JTAI Action
    Plan``) ends the walk, and the part starts after it.
    """
    first = next((i for i, line in enumerate(lines) if _header_layout(line)), None)
    if first is None:
        return None
    start = first
    for i in range(first - 1, -1, -1):
        if _blank(lines[i]) or _noise(lines[i]):
            continue
        kind = _kind(lines[i])
        if kind == "section":
            return lines[i:]
        if kind in ("row", "title"):
            break
        start = i
    return lines[start:]


# --------------------------------------------------------------------------- entry point


def parse_seed_text(text: str) -> ParsedPlan:
    """A plan from the seed text layout (both seeds), with every doubt as a warning."""
    lines = _lines(text)
    plan = _plan_heading(lines)
    part = _action_part(lines)
    if part is None:
        plan.warnings.append(Warning_(None, "table", "no action table found: no header row naming Action with "
                                      "Owner/Lead, Due/Timescales, RAG or Progress columns"))
        return plan
    reader = _SeedReader(part, plan)
    reader.read()
    plan.actions = reader.actions()
    if not plan.actions:
        plan.warnings.append(Warning_(None, "table", "an action table was found but no row has a ref"))
    plan.warnings.sort(key=lambda w: w.line or 0)  # the review list follows the document
    return plan
