"""What an owner's words say: which actions, what RAG, what new date is asked for.

A reply to a digest covers several actions in paragraphs that start with a ref
(``2.1c AMBER – …``, ``3.4a: green. …``). A RAG is taken when stated as a field
(``RAG: Green``, ``Status: complete``) or as the first word (``Green``, ``A –``). A
requested new date (``New date: 31 March 2023``) is only recorded for the board:
nobody's reply moves a due date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass

from planwarden.plan.dates import find_dates

_REF_CORE = r"\d{1,3}\.\d{1,3}(?:\.\d{1,3})*[a-z]?"
_REF_START = re.compile(
    rf"^[ \t]*(?:[-•*▪]\s*)?(?:\*\*)?(?:(?:action|ref(?:erence)?|item)\s*:?\s*)?(?P<ref>{_REF_CORE})(?![\w])(?!\.\d)"
    r"(?:\*\*)?[ \t]*(?:[:\-–—.)]+)?[ \t]*", re.I | re.M)
_REF_ANYWHERE = re.compile(rf"(?<![\w.])(?P<ref>{_REF_CORE})(?![\w])(?!\.\d)", re.I)

_WORDS = {"red": "red", "amber": "amber", "green": "green", "r": "red", "a": "amber", "g": "green",
          "complete": "green", "completed": "green", "closed": "green", "done": "green", "achieved": "green",
          "on track": "amber", "in progress": "amber", "delayed": "red", "at risk": "red", "off track": "red",
          "not started": "red"}
_VALUE = r"(?P<v>red|amber|green|complete(?:d)?|closed|done|achieved|on track|in progress|delayed|at risk|off track|not started|[rag])"
_RAG_FIELD = re.compile(
    rf"\b(?:rag(?:\s+(?:status|rating))?|status|rating)\s*(?P<sep>is|[:=\-–—]|)\s*(?:now\s+)?{_VALUE}(?P<after>\b[^\n]?)",
    re.I)
_LEADING = re.compile(r"^\W{0,3}(?P<v>red|amber|green)\b[\s.:,;!\-–—)]*|^(?P<l>[rag])\s*(?:[:\-–—]+\s*|$)", re.I)
_REF_RAG = re.compile(rf"(?<![\w.]){_REF_CORE}\s*(?:is\s+(?:now\s+)?|[:\-–—]\s*)(?P<v>red|amber|green)\b", re.I)
_FIELD_LINE = re.compile(r"^\s*(?:rag(?:\s+(?:status|rating))?|status|rating)\s*(?:is|[:=\-–—])?\s*(?:now\s+)?"
                         r"(?:red|amber|green|complete(?:d)?|closed|done|achieved|on track|in progress|delayed|"
                         r"at risk|off track|not started|[rag])\s*[.!]?\s*$", re.I | re.M)
_NEW_DATE = [
    re.compile(r"\b(?:new|revised|proposed|requested|amended|extended|updated)\s+(?:due\s+|target\s+|completion\s+)?"
               r"(?:date|deadline|timescale)\b\s*(?:requested\s*)?(?:of|is|will be|to be|would be|:|-|–|—|=)?\s*"
               r"(?P<rest>[^\n]{0,80})", re.I),
    re.compile(r"\b(?:extend|move|push|change|defer|revise)\w*\s+(?:the\s+)?(?:due\s+|target\s+|completion\s+)?"
               r"(?:date|deadline)\s+(?:back\s+|out\s+)?(?:to|until|till)\s+(?P<rest>[^\n]{0,80})", re.I),
    re.compile(r"\b(?:request|ask)\w*\s+(?:an?\s+|for\s+an?\s+)?(?:extension|new date)\s+(?:to|until|till)\s+"
               r"(?P<rest>[^\n]{0,80})", re.I),
]


@dataclass
class Extracted:
    ref: str | None  # None: the reply names no ref; the caller decides from the headers
    text: str
    rag: str | None
    requested_due: dt.date | None


def _known(ref: str, known: Collection[str] | None) -> bool:
    return known is None or ref.lower() in known


def refs_written(text: str, known: Collection[str] | None) -> list[str]:
    """Known refs mentioned anywhere in the text, in order, once each."""
    seen: dict[str, None] = {}
    for m in _REF_ANYWHERE.finditer(text):
        ref = m.group("ref").lower()
        if _known(ref, known):
            seen.setdefault(ref, None)
    return list(seen)


def split_paragraphs(text: str, known: Collection[str] | None) -> list[tuple[str | None, str]]:
    """(ref, text) per paragraph that starts with a known ref; [(None, text)] when none does.

    Text before the first ref paragraph ("Updates below:") is a preamble, not an update.
    """
    starts = [m for m in _REF_START.finditer(text) if _known(m.group("ref").lower(), known)]
    if not starts:
        return [(None, text)]
    out: list[tuple[str | None, str]] = []
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        out.append((m.group("ref").lower(), text[m.end():end]))
    return out


def find_rag(text: str) -> tuple[str | None, str]:
    """The RAG stated, and the text with a leading colour word / bare RAG line removed."""
    for m in _RAG_FIELD.finditer(text):
        value = m.group("v").lower()
        if len(value) == 1 and (m.group("sep") not in (":", "=", "-", "–", "—")
                                or re.match(r"\s*[a-z]", text[m.end("v"):], re.I)):
            continue
        return _WORDS[value], _FIELD_LINE.sub("", text, count=1).strip()
    lead = _LEADING.match(text.lstrip())
    if lead:
        value = (lead.group("v") or lead.group("l")).lower()
        return _WORDS[value], text.lstrip()[lead.end():].strip()
    named = _REF_RAG.search(text)  # "Update on 2.1c: green, …"
    if named:
        return _WORDS[named.group("v").lower()], text
    return None, text


def find_requested_due(text: str, today: dt.date | None = None) -> dt.date | None:
    for pattern in _NEW_DATE:
        for m in pattern.finditer(text):
            found, _invalid = find_dates(m.group("rest"))
            for f in found:
                if 2000 <= f.date.year <= 2100 and f.precision in ("date", "month"):
                    return f.date
    return None


def extract(text: str, known: Collection[str] | None) -> list[Extracted]:
    """One ``Extracted`` per ref paragraph (or one for the whole text)."""
    results = []
    for ref, body in split_paragraphs(text, known):
        rag, rest = find_rag(body.strip())
        rest = re.sub(r"\n{3,}", "\n\n", rest).strip()
        results.append(Extracted(ref, rest, rag, find_requested_due(body)))
    return results
