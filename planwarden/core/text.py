"""Text forms shared across the package: how names are matched, and text safe to store and show."""

from __future__ import annotations

import re


def normalise(text: str) -> str:
    """Case-, whitespace- and punctuation-insensitive form used for matching.

    Apostrophes vanish ("Children's" = "Childrens"); any other run of punctuation or
    whitespace counts as one space, so "Head of Safeguarding, East Cheshire Trust" =
    "Head of Safeguarding East Cheshire Trust" and "Head of Service: Education" =
    "Head of Service Education".
    """
    text = re.sub(r"['\u2018\u2019`]", "", text.lower())
    return re.sub(r"[\W_]+", " ", text).strip()


def tidy(text: str) -> str:
    """Owner text as written, whitespace normalised."""
    return re.sub(r"[\s\u00a0]+", " ", text).strip()


# C0 controls other than tab and line ends, DEL, and the bidi embedding/override/isolate
# controls: none is ever typed in an update, and each breaks what shows it (a spreadsheet
# refuses the first two; the third makes a console or pack show text in another order).
# A vertical tab or form feed is Word's manual line break or page break: a line end.
_BREAKS = re.compile("[\x0b\x0c]")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def safe_text(text: str) -> str:
    """Text any database, spreadsheet and page accepts: no control characters, no lone
    surrogates. Used wherever outside text is stored (mail, imported documents) and by the
    export, for text stored before this rule."""
    text = _BREAKS.sub("\n", text)
    if _CONTROLS.search(text):
        text = _CONTROLS.sub("", text)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
