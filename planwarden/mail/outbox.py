"""Queueing mail. Delivery (the state machine that hands mail to a transport) is in
``planwarden.mail.delivery``.

``enqueue`` runs inside the caller's transaction: the mail is queued if and only if
the caller's own record of why it is due (a reminder log row, an applied reply, a
built pack) commits. Its ``dedupe_key`` is unique, so queueing the same mail twice,
even from two runs at once, is impossible: the second insert fails and rolls back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from planwarden.core import clock
from planwarden.mail.compose import Draft, build, new_message_id
from planwarden.plan.models import OutboxMessage


def enqueue(session: Session, draft: Draft, *, kind: str, dedupe_key: str, plan_key: str = "",
            items: list[dict[str, Any]] | None = None, message_id: str | None = None) -> OutboxMessage:
    """Queue one message; returns the row (its ``message_id`` is final)."""
    message_id = message_id or new_message_id(draft.sender)
    now = clock.now()
    raw = build(draft, message_id, now.timestamp()).as_bytes()
    row = OutboxMessage(plan_key=plan_key, kind=kind, dedupe_key=dedupe_key, message_id=message_id,
                        sender=draft.sender, to=list(draft.to), cc=list(draft.cc), subject=draft.subject,
                        raw=raw, items=items or [], state="queued", attempts=0, next_attempt_at=now,
                        created_at=now, refused={})
    session.add(row)
    session.flush()  # the unique dedupe_key is checked here, inside the caller's transaction
    return row


def already_queued(session: Session, dedupe_key: str) -> bool:
    return session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None
