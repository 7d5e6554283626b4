"""The subject tag that ties a reply to a plan and its actions: ``[planwarden jtai 2.1d 3.4a]``.

Outlook and Gmail keep the subject when replying (adding "RE:"/"AW:" etc.), so the
tag survives even when In-Reply-To/References are stripped. An older short form
``[planwarden 2.1d]`` (no plan key) is still understood.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

REF = r"\d+(?:\.\d+)*[a-z]?"
_TAG = re.compile(r"\[planwarden\s+([^\]]+)\]", re.IGNORECASE)
_REF = re.compile(rf"^{REF}$", re.IGNORECASE)


@dataclass(frozen=True)
class SubjectTag:
    plan: str | None
    refs: tuple[str, ...]


def subject_tag(plan_key: str, refs: Sequence[str]) -> str:
    return f"[planwarden {plan_key} {' '.join(refs)}]".replace("  ", " ").replace(" ]", "]")


def parse_subject_tag(subject: str) -> SubjectTag | None:
    """The plan key and refs named in a subject, or None when there is no tag."""
    match = _TAG.search(subject or "")
    if not match:
        return None
    words = match.group(1).split()
    plan = None if not words or _REF.match(words[0]) else words[0]
    refs = tuple(w.lower() for w in words[1 if plan else 0:] if _REF.match(w))
    return SubjectTag(plan, refs)
