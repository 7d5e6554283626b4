"""Every outbox ``dedupe_key``, built here and only here.

The key is the outbox's idempotence: ``enqueue`` inserts under a unique key, so the same
mail cannot be queued twice, even by two runs at once. Keys are stored; a format change
would let an upgraded service queue again what an older one already sent, so these
formats are fixed (tests/test_keys.py pins them). Keys fit the 255-character column.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

MAX_LENGTH = 255


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:length]


def reminder(plan: str, recipient: str, day: dt.date, content: Iterable[str]) -> str:
    """One digest per owner per day per distinct content (its items and reported failures)."""
    return f"reminder:{plan}:{recipient}:{day.isoformat()}:{_digest(';'.join(content), 12)}"[:MAX_LENGTH]


def reply(kind: str, message_id: str) -> str:
    """A mail answering one inbound message (a confirmation, a bounce notice to a plan)."""
    return f"{kind}:{_digest(message_id, 48)}"


def pack(plan: str, occurrence: str | None, as_of: dt.date | str, sha256: str) -> str:
    """A scheduled pack once per board occurrence; an ad hoc one once per content and date."""
    return f"pack:{plan}:{occurrence}" if occurrence else f"pack:{plan}:{as_of}:{sha256[:16]}"


def invite(uid: str, sequence: int, method: str, recipients: Iterable[str]) -> str:
    """One iTIP message per event version, method and set of recipients."""
    uid = uid if len(uid) <= 160 else _digest(uid, 64)
    return f"invite:{uid}:{sequence}:{method}:{_digest(','.join(sorted(recipients)), 16)}"
