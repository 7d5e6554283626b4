"""The one rating vocabulary: RAG and BRAG names, words, colours, order, and what "complete" means.

Plans rate their actions in two scales:

- **RAG** (the default): Red, Amber, Green. Green means the action is *complete*
  (PRODUCT.md: "under RAG, green means complete"); "On track" and "In progress" are Amber.
- **BRAG**: Blue, Red, Amber, Green. Blue means *complete* and Green means *on track*.

The stored rating (``Action.rag``) is always ``"red" | "amber" | "green" | None`` so every
reader of the store sees one shape; *complete* is kept beside it (``Action.complete``) and
the plan says which scale it uses (``Plan.rating_scale``). A Blue action is stored as
rating green + complete. ``is_complete`` is the single rule every part of planwarden
asks (reminders: "complete actions get nothing"; packs: what to count as done).

Status words and scores are read here too, so no module keeps its own copy:
``Complete``/``Achieved``/``Closed``/``Done`` (complete), ``On track``, ``Work in
progress``/``In progress``, ``Delayed``, ``At risk``/``Off track``, ``Not started``, and a
1-4 assessment score (1 complete, 2 on track, 3 some slippage, 4 not on track).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Scale = Literal["rag", "brag"]
Colour = Literal["red", "amber", "green"]
SCALES: tuple[Scale, ...] = ("rag", "brag")

COLOURS: tuple[Colour, ...] = ("red", "amber", "green")
#: worst first: packs and lists sort by this (unknown last)
ORDER: dict[str | None, int] = {"red": 0, "amber": 1, "green": 2, "blue": 3, None: 4}
#: display name, background and text colour (WCAG AA contrast on the background)
STYLES: dict[str | None, tuple[str, str, str]] = {
    "red": ("Red", "#d4351c", "#ffffff"),
    "amber": ("Amber", "#ffdd00", "#0b0c0c"),
    "green": ("Green", "#00703c", "#ffffff"),
    "blue": ("Blue", "#1d70b8", "#ffffff"),
    None: ("Not rated", "#f3f2f1", "#0b0c0c"),
}
#: the same ratings in a terminal table (the command line), as its upper-case words
TERMINAL: dict[str, str] = {"RED": "bold red", "AMBER": "bold yellow", "GREEN": "bold green", "BLUE": "bold blue"}

# A word's meaning: (rating under RAG, rating under BRAG, complete?). "blue" is a display
# rating only (BRAG complete); it is stored as green + complete.
_Meaning = tuple[Colour | None, Colour | None, bool]
_COMPLETE: _Meaning = ("green", "green", True)
_ON_TRACK: _Meaning = ("amber", "green", False)
_SLIPPING: _Meaning = ("amber", "amber", False)
_OFF_TRACK: _Meaning = ("red", "red", False)
WORDS: dict[str, _Meaning] = {
    "r": _OFF_TRACK, "red": _OFF_TRACK, "a": _SLIPPING, "amber": _SLIPPING,
    "g": ("green", "green", False), "green": ("green", "green", False),
    "blue": _COMPLETE,
    "complete": _COMPLETE, "completed": _COMPLETE, "closed": _COMPLETE, "done": _COMPLETE,
    "achieved": _COMPLETE, "met": _COMPLETE, "fully achieved": _COMPLETE, "implemented": _COMPLETE,
    "on track": _ON_TRACK, "in progress": _ON_TRACK, "work in progress": _ON_TRACK, "wip": _ON_TRACK,
    "ongoing": _ON_TRACK, "on going": _ON_TRACK, "partially achieved": _ON_TRACK, "partially met": _ON_TRACK,
    "started": _ON_TRACK, "some slippage": _SLIPPING, "slippage": _SLIPPING,
    "delayed": _OFF_TRACK, "at risk": _OFF_TRACK, "off track": _OFF_TRACK, "not on track": _OFF_TRACK,
    "not started": _OFF_TRACK, "not achieved": _OFF_TRACK, "not met": _OFF_TRACK, "overdue": _OFF_TRACK,
}
#: short cells that are ratings only in a rating column (elsewhere "b" is a ref letter, "2" a number):
#: the letter B (BRAG) and a 1-4 assessment of progress
SHORT_WORDS: dict[str, _Meaning] = {"b": _COMPLETE, "1": _COMPLETE, "2": _ON_TRACK, "3": _SLIPPING, "4": _OFF_TRACK}
#: status words people write, for documentation and for the reply reader
STATUS_WORDS = ("Complete", "Achieved", "On track", "Work in progress", "Delayed", "At risk", "Not started")
_BULLETS = set("•●○◦◉⬤■□▪▫◼◻◆◇♦*·∙‣⁃")
_TAGS = re.compile(r"<[^>]+>")
#: "Blue = complete", "B - Completed", "Blue: action completed": a document defining BRAG
_BRAG_KEY = re.compile(r"\b(?:blue|b)\b\s*(?:[=:\-–—(]|means|is)\s*(?:action\s+)?(?:fully\s+)?complet", re.I)


@dataclass(frozen=True)
class Rating:
    """A rating cell read.

    ``rag`` is the stored colour; ``complete`` whether the words mean the action is done;
    ``blue`` that the cell said Blue (so the plan is BRAG even without a key);
    ``colour_lost`` a bullet whose colour did not survive the copy out of Word/PDF;
    ``unrecognised`` text that is not a rating at all.
    """

    rag: Colour | None
    complete: bool = False
    blue: bool = False
    colour_lost: bool = False
    unrecognised: bool = False


def clean(text: str) -> str:
    return " ".join(_TAGS.sub(" ", text or "").split()).strip(" .:;,-–").lower()


def parse_rating(text: str, scale: Scale = "rag", *, short: bool = True) -> Rating:
    """Read a rating cell under ``scale``: ``A``, ``Green``, ``Complete``, ``On track``, ``2``, a bullet…

    ``short=False`` leaves ``B`` and the scores 1-4 unread (the seed-text reader meets them as refs).
    """
    words = clean(text)
    if not words:
        return Rating(None)
    if all(ch in _BULLETS or ch.isspace() for ch in words):
        return Rating(None, colour_lost=True)
    words = words.lstrip("".join(_BULLETS)).strip()
    meaning = WORDS.get(words) or (SHORT_WORDS.get(words) if short else None)
    if meaning is None:
        meaning = _leading_colour(words) or _leading_status(words)
    if meaning is None:
        return Rating(None, unrecognised=True)
    rag, brag, complete = meaning
    blue = words == "b" or bool(re.search(r"\bblue\b", words))
    return Rating(brag if scale == "brag" else rag, complete, blue)


def _leading_colour(words: str) -> _Meaning | None:
    """'Green – complete', 'Amber (on track)', 'Completed - Blue': exactly one colour named."""
    named = [c for c in ("red", "amber", "green", "blue") if re.search(rf"\b{c}\b", words)]
    return WORDS[named[0]] if len(named) == 1 else None


_PHRASES = sorted((w for w in WORDS if len(w) > 3 and w not in ("red", "blue", "green", "amber")), key=len,
                  reverse=True)


def _leading_status(words: str) -> _Meaning | None:
    """'Complete - see evidence', 'On track (minor delays)': a status phrase first, and no colour named."""
    if re.search(r"\b(?:red|amber|green|blue)\b", words):
        return None
    for phrase in _PHRASES:
        if words.startswith(phrase) and not words[len(phrase):len(phrase) + 1].isalnum():
            return WORDS[phrase]
    return None


def colour_of_fill(hex_rgb: str | None) -> str | None:
    """A cell's shading as a rating word ("Red", "Amber", "Green", "Blue"), or None for white, grey, black.

    Word and Excel plans often rate by colouring the RAG cell and writing nothing in it.
    """
    text = (hex_rgb or "").strip().lstrip("#")[-6:]
    if not re.fullmatch(r"[0-9a-fA-F]{6}", text):
        return None
    r, g, b = (int(text[i:i + 2], 16) for i in (0, 2, 4))
    if max(r, g, b) - min(r, g, b) < 40:
        return None  # white, grey or black: no colour
    if b > r and b > g:
        return "Blue"
    if g > r and g >= b:
        return "Green"
    if r > 150 and g > 110 and g - b > 60:
        return "Amber"
    return "Red" if r > g else None


def rag_colour(text: str, scale: Scale = "rag") -> Colour | None:
    return parse_rating(text, scale).rag


def is_complete(rag: str | None, complete: bool | None = None, scale: str | None = "rag") -> bool:
    """THE rule: under RAG green means complete; under BRAG only the complete flag (Blue) does.

    Under RAG the flag is not consulted: a reply turning a green action amber reopens it.
    """
    if scale == "brag":
        return bool(complete)
    return (rag or "").lower() == "green"


def display(rag: str | None, complete: bool | None = None, scale: str | None = "rag") -> str | None:
    """The colour to show: 'blue' for a complete action on a BRAG plan, else the stored colour."""
    if scale == "brag" and complete:
        return "blue"
    return rag


def defines_brag(text: str) -> bool:
    """Does a document's text define Blue as complete (a BRAG key)?"""
    return bool(_BRAG_KEY.search(text or ""))


def sort_key(rag: str | None, complete: bool | None = None, scale: str | None = "rag") -> int:
    return ORDER.get(display(rag, complete, scale), ORDER[None])
