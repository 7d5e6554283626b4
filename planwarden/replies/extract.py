"""What an owner's words say: which actions, what RAG, what new date is asked for.

A reply to a digest covers several actions in paragraphs that start with a ref
(``2.1c AMBER – …``, ``3.4a: green. …``). A RAG is taken only when stated: a label
(``RAG: Green``, ``Status: complete``) wherever it stands, the first word of the paragraph
followed by a separator (``AMBER –``), or a rating word alone on a line. Two different
ratings for one action are reported, never chosen between. A
requested new date (``New date: 31 March 2023``) is only recorded for the board:
nobody's reply moves a due date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass, field

from planwarden.plan.dates import find_dates
from planwarden.plan.rag import parse_rating
from planwarden.mail.replyhelp import EXAMPLE_LINE

_REF_CORE = r"\d{1,3}\.\d{1,3}(?:\.\d{1,3})*[a-z]?"
_REF_START = re.compile(
    rf"^[ \t]*(?:[-•*▪]\s*)?(?:\*\*)?(?:(?:action|ref(?:erence)?|item)\s*:?\s*)?(?P<ref>{_REF_CORE})(?![\w])(?!\.\d)"
    r"(?:\*\*)?[ \t]*(?:[:\-–—.)]+)?[ \t]*", re.I | re.M)
_REF_ANYWHERE = re.compile(rf"(?<![\w.])(?P<ref>{_REF_CORE})(?![\w])(?!\.\d)", re.I)

_RATINGS = {"red": "red", "amber": "amber", "green": "green", "r": "red", "a": "amber", "g": "green",
            "complete": "green", "completed": "green", "closed": "green", "done": "green", "achieved": "green",
            "blue": "green",
            "on track": "amber", "in progress": "amber", "delayed": "red", "at risk": "red", "off track": "red",
            "not started": "red"}
_VALUE = (r"(?P<v>red|amber|green|blue|complete(?:d)?|closed|done|achieved|on[ -]track|in progress|delayed|at risk"
          r"|off[ -]track|not started|[rag])")
# After a rating: the end of the line, or punctuation, or a dash then more words. Never a
# further word ("Green light", "complete for phase one" is fine: a label came first) or a
# list of choices ("Green|Amber|Red", "Green/Amber/Red", "green or amber").
_END = r"(?=[ \t]*(?:$|[.,;:!)]|[-–—]\s)|\s+(?!(?:or|/|\|)\b))(?![ \t]*[|/])(?![ \t]*(?:or|and)\s)"
# "RAG: Green", "RAG status: amber", "Status: complete", "RAG = R", "RAG status is red":
# a label wherever it stands (after a sentence too), never "the status is …".
_LABEL = re.compile(
    rf"(?:^|(?<=[\s(\[.,;]))(?:rag(?:\s+(?:status|rating))?|status)[ \t]*(?:[:=]|[-–—](?=\s))[ \t]*"
    rf"(?:now[ \t]+)?{_VALUE}(?P<end>{_END})"
    rf"|(?:^|(?<=[\s(\[.,;]))rag(?:\s+(?:status|rating))?[ \t]+is[ \t]+(?:now[ \t]+)?{_VALUE.replace('?P<v>', '?P<v2>')}"
    rf"(?={_END})", re.I | re.M)
# A paragraph that starts with a rating word and a separator ("AMBER – slipping", "Green.",
# "A - waiting"): the ref has been taken off already, or is implied by the reminder.
_LEADING = re.compile(
    r"\A[ \t]*(?:[*_]{1,2})?(?:(?P<v>red|amber|green|blue|complete(?:d)?)(?:[*_]{1,2})?(?=[ \t]*(?:$|[.,;:!)]|[-–—]))"
    r"|(?P<letter>[rag])(?:[*_]{1,2})?(?=[ \t]*(?:[:\-–—]|$)))", re.I | re.M)  # "G. Ball agreed": an initial
# "Update on 2.1c: green, all delivered": a ref with a colon (or "is now") and a rating, then a separator.
_REF_RAG = re.compile(rf"(?<![\w.])(?P<ref>{_REF_CORE})[ \t]*(?::|is[ \t]+now)[ \t]*(?P<v>red|amber|green|blue)"
                      r"(?=[ \t]*(?:$|[.,;:!)]|[-–—]\s))", re.I | re.M)
# A rating word alone on a line: "Green", "**AMBER**", "- Red.", "Complete!".
_ALONE = re.compile(r"^[ \t]*(?:[-•*▪>]\s*)?(?:[*_]{1,2})?(?P<v>red|amber|green|blue|complete(?:d)?)(?:[*_]{1,2})?"
                    r"[ \t]*[.!]?[ \t]*$", re.I | re.M)
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
    conflicting: list[str] = field(default_factory=list)  # two or more different ratings stated
    past_due: dt.date | None = None  # a "new date" already past: kept in the text, not requested
    copied_example: bool = False  # lines of the reminder's how-to-reply example were in the reply
    words: list[str] = field(default_factory=list)  # the rating words stated ("blue", "on track"), once each
    rated_refs: list[str] = field(default_factory=list)  # refs a rating is written against in this text


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


# A label that reports the past ("Previously RAG: Red", "was Status: amber") or a hope
# ("RAG: Green by March", "Status: complete (not yet)", "RAG: Green once signed off") is
# not a rating stated now: it changes nothing.
_BEFORE_PAST = re.compile(r"\b(?:previously|formerly|originally|was|were|used to be|last (?:week|month|time|update|"
                          r"report|quarter|board|meeting)|from)\W*\Z", re.I)
_AFTER_HOPE = re.compile(r"\A[ \t]*[,(\-–—]?[ \t]*(?:not|no|nearly|almost|hopefully|pending|provisional\w*|tbc|tbd|by|"
                         r"once|when|if|after|until|expected|soon|subject to|next)\b", re.I)


def _hedged(text: str, start: int, end: int) -> bool:
    """Whether the words just before or after a label, on its line, make it past or hoped for."""
    before = text[max(0, start - 40):start].rsplit("\n", 1)[-1]
    return bool(_BEFORE_PAST.search(before) or _AFTER_HOPE.match(text[end:end + 40].split("\n", 1)[0]))


def rated_refs(text: str, known: Collection[str] | None) -> list[str]:
    """Known refs a rating is written against ("Update on 2.1c: green"), once each."""
    return list(dict.fromkeys(m.group("ref").lower() for m in _REF_RAG.finditer(text)
                              if _known(m.group("ref").lower(), known)))


def ratings(text: str) -> tuple[list[str], str]:
    """Every rating the text states (as RAG colours), in order, and the text without the rating-only parts."""
    words, rest = stated(text)
    return [_RATINGS[w] for w in words], rest


def stated(text: str) -> tuple[list[str], str]:
    """Every rating word the text states explicitly, in order, and the text without the rating-only parts.

    Three forms count (PRODUCT.md "Replies"): a ``RAG:``/``Status:`` label wherever it
    stands, a rating word at the start of the paragraph followed by a separator, and a
    rating word alone on a line. Words inside sentences ("Red tape…", "Green light…"),
    idioms, negations ("not green") and lists of choices never count.
    """
    found: list[str] = []
    rest = text.strip()
    lead = _LEADING.match(rest)
    if lead and not _ALONE.match(rest.split("\n", 1)[0]):
        found.append((lead.group("v") or lead.group("letter")).lower())
        rest = re.sub(r"\A[ \t]*[-–—:.,;!)]*[ \t]*", "", rest[lead.end():])
    for m in _LABEL.finditer(rest):
        if _hedged(rest, m.start(), m.end()):
            continue
        value = (m.group("v") or m.group("v2")).lower().replace("-", " ")
        if len(value) == 1 and not re.match(r"[ \t]*(?:$|[.,;!)\n]|[-–—]\s)", rest[m.end("v") if m.group("v") else m.end("v2"):]):
            continue  # "Status: a bit behind": a single letter counts only on its own
        found.append(value)
    for m in _ALONE.finditer(rest):
        found.append(m.group("v").lower())
    for m in _REF_RAG.finditer(rest):
        found.append(m.group("v").lower())
    rest = _ALONE.sub("", rest)
    rest = re.sub(r"^[ \t]*(?:rag(?:\s+(?:status|rating))?|status|rating)[ \t]*[:=][^\n]{0,20}$", lambda m: (
        "" if _LABEL.fullmatch(m.group(0).strip()) else m.group(0)), rest, flags=re.I | re.M)
    return found, rest.strip()


def find_rag(text: str) -> tuple[str | None, str]:
    """The one rating stated (None when none, or when two differ), and the text without it."""
    found, rest = ratings(text)
    distinct = list(dict.fromkeys(found))
    return (distinct[0] if len(distinct) == 1 else None), rest


def drop_example(text: str) -> tuple[str, bool]:
    """The text without lines copied from the reminder's how-to-reply example, and whether there were any."""
    kept = EXAMPLE_LINE.sub("", text)
    return kept, kept != text


def find_requested_due(text: str, today: dt.date | None = None) -> dt.date | None:
    for pattern in _NEW_DATE:
        for m in pattern.finditer(text):
            found, _invalid = find_dates(m.group("rest"))
            for f in found:
                if 2000 <= f.date.year <= 2100 and f.precision in ("date", "month"):
                    return f.date
    return None


def extract(text: str, known: Collection[str] | None, today: dt.date | None = None) -> list[Extracted]:
    """One ``Extracted`` per ref paragraph (or one for the whole text)."""
    text, copied = drop_example(text)
    results = []
    for ref, body in split_paragraphs(text, known):
        words, rest = stated(body.strip())
        distinct = list(dict.fromkeys(_RATINGS[w] for w in words))
        rest = re.sub(r"\n{3,}", "\n\n", rest).strip()
        due = find_requested_due(body)
        past = due if due is not None and today is not None and due < today else None
        results.append(Extracted(ref, rest, distinct[0] if len(distinct) == 1 else None,
                                 None if past else due, conflicting=distinct if len(distinct) > 1 else [],
                                 past_due=past, copied_example=copied, words=list(dict.fromkeys(words)),
                                 rated_refs=rated_refs(body, known)))
    return results


def rating_for(e: Extracted, scale: str | None) -> tuple[str | None, bool | None]:
    """(stored rating, complete) the owner stated, read in the plan's scale as plan.rag defines it.

    On a BRAG plan "Blue" and "Complete" are green + complete, "Green" and "On track" are
    green and not complete. Under RAG the colour says it all (green is complete) and the flag
    is left alone (None). (None, None): no rating stated, or words that disagree in this scale.
    """
    words = e.words or ([e.rag] if e.rag else [])
    brag = scale == "brag"
    meanings = {(r.rag, r.complete if brag else None) for r in (parse_rating(w, "brag" if brag else "rag")
                                                                  for w in words)}
    return meanings.pop() if len(meanings) == 1 else (None, None)


def clash(e: Extracted, scale: str | None) -> list[str]:
    """The ratings stated that disagree for this plan's scale ("Green" and "Blue" on a BRAG plan)."""
    if e.conflicting:
        return e.conflicting
    if scale == "brag" and e.words and rating_for(e, scale) == (None, None):
        return list(e.words)
    return []
