"""Due dates and RAG ratings as people write them in action plans.

Plans are typed by hand: ``13 July 2023``, ``End 2012``, ``April 2013``, ``New process
to be launched on 9 January 2023``, ``10/02/13``, a typo such as ``Sept 2103``, or no
date at all (``N/A``, ``To be determined based on the recommendations``). Reminders
need one due date, so the rules are:

- a day-precise date is taken as it is; a month alone means the end of that month
  (the action is due by then); ``End 2012`` or a year alone means 31 December;
- several dates in one text: the latest is the due date, the earlier ones are
  milestones (``First stage … 23 December 2022 and the full review … 3 February 2023``);
- numeric dates are British (dd/mm/yy); ISO ``2023-03-31`` is accepted too;
- a date that does not exist (``31 February 2023``) gives no due date and a warning;
- a year that cannot be meant (after 2100, before 1950, or more than 20 years away
  from the plan's other dates) keeps the date but warns, naming the year;
- ``Update July 2013`` in a timescales column is the date an update is expected, not
  when the action is due: no due date, with a warning so a person decides;
- ``N/A``, ``TBD``/``To be determined…``, ``Ongoing`` and an empty cell mean no due
  date, without a warning (``kind`` says which).

Nothing here reads the clock: the same text always gives the same answer.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

DueKind = Literal["date", "month", "year", "empty", "not-applicable", "to-be-determined", "ongoing",
                  "update", "invalid", "unrecognised"]

MONTHS: dict[str, int] = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "oct": 10, "nov": 11, "dec": 12,
}
_MONTH = (r"(?P<{0}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_ORD = r"(?:st|nd|rd|th)?"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b")),
    ("numeric", re.compile(r"\b(?P<d>\d{1,2})[/.](?P<m>\d{1,2})[/.](?P<y>\d{4}|\d{2})\b")),
    ("dmy", re.compile(rf"\b(?P<d>\d{{1,2}}){_ORD}(?:\s+of)?\s+{_MONTH.format('m')},?\s+(?P<y>\d{{4}})\b", re.I)),
    ("mdy", re.compile(rf"\b{_MONTH.format('m')}\s+(?P<d>\d{{1,2}}){_ORD},?\s+(?P<y>\d{{4}})\b", re.I)),
    ("my", re.compile(rf"\b{_MONTH.format('m')},?\s+(?P<y>\d{{4}})\b", re.I)),
]
_YEAR_ONLY = re.compile(r"^(?:(?:by\s+)?(?:the\s+)?end\s+(?:of\s+)?|by\s+|during\s+|in\s+)?"
                        r"(?P<y>(?:19|20|21)\d{2})\.?$", re.I)
_NOT_APPLICABLE = re.compile(r"^(?:n/?a|none|not applicable|nil|-+|–|—)\.?$", re.I)
_TBD = re.compile(r"^(?:tbc|tbd|tba|to be (?:determined|confirmed|agreed|decided|arranged)\b.*)$", re.I)
_ONGOING = re.compile(r"^(?:ongoing|on-going|continuous|throughout|as required|monthly|quarterly|weekly|annually"
                      r"|annual|bi-monthly|business as usual)\.?$", re.I)
_UPDATE = re.compile(r"^(?:update[ds]?|review(?:ed)?|progress update)\b", re.I)
EARLIEST_YEAR, LATEST_YEAR, MAX_YEARS_AWAY = 1950, 2100, 20


@dataclass
class DueParse:
    """What a due-date text means: the due date, earlier milestones, and any doubt."""

    due: dt.date | None
    milestones: list[dt.date] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    kind: DueKind = "empty"


@dataclass(frozen=True)
class _Found:
    """One date found in a text, with how precisely it was written."""

    date: dt.date
    precision: Literal["date", "month", "year"]
    span: tuple[int, int]
    text: str


def parse_due(text: str, *, reference_year: int | None = None) -> DueParse:
    """Read a due-date cell. ``reference_year`` (e.g. the plan's update year) sharpens the typo check."""
    clean = " ".join((text or "").split())
    if not clean:
        return DueParse(None, kind="empty")
    no_date: list[tuple[re.Pattern[str], DueKind]] = [
        (_NOT_APPLICABLE, "not-applicable"), (_TBD, "to-be-determined"), (_ONGOING, "ongoing")]
    for pattern, word in no_date:
        if pattern.match(clean):
            return DueParse(None, kind=word)
    if _UPDATE.match(clean):
        return DueParse(None, kind="update", warnings=[
            f"'{clean}' is when an update is expected, not a due date: no due date set"])
    found, invalid = find_dates(clean)
    warnings = [f"'{bad}' is not a real date" for bad in invalid]
    if not found:
        kind: DueKind = "invalid" if invalid else "unrecognised"
        return DueParse(None, warnings=warnings or [f"no date found in '{clean}'"], kind=kind)
    return _choose(found, warnings, reference_year)


def find_dates(text: str) -> tuple[list[_Found], list[str]]:
    """Every date written in ``text`` (in order), and the date-like texts that are not real dates."""
    taken: list[tuple[int, int]] = []
    found: list[_Found] = []
    invalid: list[str] = []
    for name, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            taken.append(m.span())
            date, precision = _to_date(name, m)
            if date is None:
                invalid.append(m.group(0))
            else:
                found.append(_Found(date, precision, m.span(), m.group(0)))
    year = _YEAR_ONLY.match(text)
    if not found and not invalid and year:
        found.append(_Found(dt.date(int(year["y"]), 12, 31), "year", year.span(), text))
    found.sort(key=lambda f: f.span)
    return found, invalid


def _to_date(name: str, m: re.Match[str]) -> tuple[dt.date | None, Literal["date", "month", "year"]]:
    year = int(m["y"])
    if len(m["y"]) == 2:
        year += 2000 if year < 70 else 1900
    month = int(m["m"]) if m["m"].isdigit() else MONTHS[m["m"][:3].lower()]
    if name == "my":
        return dt.date(year, month, calendar.monthrange(year, month)[1]), "month"
    day = int(m["d"])
    if name == "numeric" and month > 12 >= day:
        day, month = month, day  # 12/31/2023 can only be American
    try:
        return dt.date(year, month, day), "date"
    except ValueError:
        return None, "date"


def _choose(found: list[_Found], warnings: list[str], reference_year: int | None) -> DueParse:
    latest = max(found, key=lambda f: f.date)
    milestones = sorted({f.date for f in found if f.date < latest.date})
    for f in found:
        doubt = implausible_year(f.date.year, reference_year)
        if doubt:
            warnings.append(f"year {f.date.year} in '{f.text}' looks like a typo ({doubt})")
    return DueParse(latest.date, milestones, warnings, latest.precision)


def implausible_year(year: int, reference_year: int | None = None) -> str | None:
    """Why a year cannot be meant in an action plan, or None when it is believable."""
    if year > LATEST_YEAR:
        return f"after {LATEST_YEAR}"
    if year < EARLIEST_YEAR:
        return f"before {EARLIEST_YEAR}"
    if reference_year is not None and abs(year - reference_year) > MAX_YEARS_AWAY:
        return f"more than {MAX_YEARS_AWAY} years from {reference_year}"
    return None


# --------------------------------------------------------------------------- RAG

RagColour = Literal["red", "amber", "green"]
_BULLETS = set("•●○◦◉⬤■□▪▫◼◻◆◇♦*·∙‣⁃")
_RAG_WORDS: dict[str, RagColour] = {
    "r": "red", "red": "red", "a": "amber", "amber": "amber", "g": "green", "green": "green",
    "complete": "green", "completed": "green", "closed": "green", "done": "green", "achieved": "green",
    "in progress": "amber", "on track": "amber", "delayed": "red", "at risk": "red", "off track": "red",
}
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class RagParse:
    """A RAG cell read: the colour, or why there is none.

    ``colour_lost`` is a bullet whose colour did not survive the copy out of Word/PDF: the
    plan had a rating but we cannot tell which, so the importer warns "RAG colour lost".
    ``unrecognised`` is text that is not a rating at all (also worth a warning).
    """

    rag: RagColour | None
    colour_lost: bool = False
    unrecognised: bool = False


def parse_rag(text: str) -> RagParse:
    """Read a RAG cell: ``A``, ``G``, ``R``, ``Amber``, ``green``, ``Complete``, a bare bullet…"""
    clean = " ".join(_TAGS.sub(" ", text or "").split()).strip(" .:;,-–").lower()
    if not clean:
        return RagParse(None)
    if all(ch in _BULLETS or ch.isspace() for ch in clean):
        return RagParse(None, colour_lost=True)
    clean = clean.lstrip("".join(_BULLETS)).strip()
    if clean in _RAG_WORDS:
        return RagParse(_RAG_WORDS[clean])
    # "Green – complete", "Amber (on track)": a leading colour word, and no other colour named
    colours = {c for word, c in _RAG_WORDS.items() if len(word) > 1 and re.search(rf"\b{word}\b", clean)}
    if re.match(r"(?:red|amber|green)\b", clean) and len(colours) == 1:
        return RagParse(colours.pop())
    return RagParse(None, unrecognised=True)


def rag_colour(text: str) -> RagColour | None:
    """Just the colour (None when unknown for any reason)."""
    return parse_rag(text).rag
