"""Text forms shared by the config checks and the directory: how names are matched."""

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
