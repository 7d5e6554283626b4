"""Queueing mail. Delivery (the state machine that hands mail to a transport) is in
``planwarden.mail.delivery``.

``enqueue`` runs inside the caller's transaction: the mail is queued if and only if
the caller's own record of why it is due (a reminder log row, an applied reply, a
built pack) commits. Its ``dedupe_key`` is unique, so queueing the same mail twice,
even from two runs at once, is impossible: the second insert fails and rolls back.
"""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from planwarden.core import clock
from planwarden.mail.compose import Draft, build, new_message_id
from planwarden.plan.models import OutboxMessage


class OutboxState(enum.StrEnum):
    """An outbox row's state (mail/delivery.py draws the machine). The values are what is
    stored; being ``str``, a state compares equal to the stored text."""

    QUEUED = "queued"
    SENDING = "sending"
    RETRY = "retry"
    SENT = "sent"
    FAILED = "failed"


def enqueue(session: Session, draft: Draft, *, kind: str, dedupe_key: str, plan_key: str = "",
            items: list[dict[str, Any]] | None = None, message_id: str | None = None) -> OutboxMessage:
    """Queue one message; returns the row (its ``message_id`` is final)."""
    message_id = message_id or new_message_id(draft.sender)
    now = clock.now()
    raw = build(draft, message_id, now.timestamp()).as_bytes()
    row = OutboxMessage(plan_key=plan_key, kind=kind, dedupe_key=dedupe_key, message_id=message_id,
                        sender=draft.sender, to=list(draft.to), cc=list(draft.cc), subject=draft.subject,
                        raw=raw, items=items or [], state=OutboxState.QUEUED, attempts=0, next_attempt_at=now,
                        created_at=now, refused={})
    session.add(row)
    session.flush()  # the unique dedupe_key is checked here, inside the caller's transaction
    return row


def already_queued(session: Session, dedupe_key: str) -> bool:
    return session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)) is not None


class RequeueError(ValueError):
    """The message is not one that can be tried again (unknown, sent, or being sent)."""


def requeue(session: Session, outbox_id: int) -> OutboxMessage:
    """Try a failed or waiting message again now (the secretary's "retry"): a fresh count of attempts."""
    row = session.get(OutboxMessage, outbox_id, with_for_update=True)
    if row is None:
        raise RequeueError(f"no message {outbox_id} in the outbox")
    if row.state not in ("failed", "retry", "queued"):
        raise RequeueError(f"message {outbox_id} is {row.state}: only failed or waiting mail can be retried")
    row.state, row.attempts, row.next_attempt_at, row.last_error = "retry", 0, clock.now(), None
    return row
