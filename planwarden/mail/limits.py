"""Sending limits: hold mail back instead of letting the mail service refuse it.

Exchange Online allows a mailbox 30 messages a minute and 10,000 recipients a day
(a rolling 24 hours); over that, Graph answers 429 or the mailbox is blocked for sending.
A big day (reminders for fifty owners, a pack to a board of thirty, confirmations) must
be spread, not failed. So the delivery step asks a ``RateGate`` before it claims each
message: within the limits the message goes now; over them it stays ``queued`` (or
``retry``) with ``next_attempt_at`` set to the moment it fits, and a later delivery pass
sends it. No attempt is counted for a held message.

The gate starts each claim from what the outbox says: rows sent in the last 24 hours,
and rows another pass has claimed and is sending now (counted from their claim time), so
two delivery passes at once keep to one allowance. On PostgreSQL the claims of gated
passes take a transaction advisory lock, so one sees the other's claims; on SQLite
claims serialise anyway. Within a claim the gate counts what it admits itself. Limits are per sending address (the ``From`` of the row, which is the
mailbox for Graph and EWS). They are set per transport (``mail.graph.max_messages_per_minute``
and ``max_recipients_per_day``; the same keys under ``mail.smtp`` and ``mail.ews``, off
there unless set): 0 means no limit.
"""

from __future__ import annotations

import bisect
import sys
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, or_, select, text
from sqlalchemy.orm import Session

GATE_LOCK = 0x706C616E  # "plan": the advisory lock gated claims take on PostgreSQL
MINUTE = dt.timedelta(minutes=1)
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class SendingLimits:
    """A mailbox's limits; 0 (or None) means no limit of that kind."""

    messages_per_minute: int = 0
    recipients_per_day: int = 0

    @property
    def any(self) -> bool:
        return bool(self.messages_per_minute or self.recipients_per_day)


EXCHANGE_ONLINE = SendingLimits(messages_per_minute=30, recipients_per_day=10_000)


class RateGate:
    """Admits a message now, or says when it will fit (a sliding minute and a sliding day)."""

    def __init__(self, limits: SendingLimits, lease: dt.timedelta = dt.timedelta(minutes=10)) -> None:
        self.limits, self.lease = limits, lease
        self._sent: dict[str, list[tuple[dt.datetime, int]]] = defaultdict(list)  # sender → (when, recipients)
        self.stale = True  # set by each claim; the first due row reloads the history

    def load(self, session: Session, now: dt.datetime) -> None:
        """What was sent in the last 24 hours, and what is being sent now, per sender.
        Called at each claim's first due row, in the claim's transaction (the advisory lock,
        taken after the claim's own rows are locked, makes a concurrent claim's commit visible)."""
        from planwarden.plan.models import OutboxMessage

        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": GATE_LOCK})
        rows = session.execute(
            select(OutboxMessage.sender, OutboxMessage.state, OutboxMessage.sent_at, OutboxMessage.next_attempt_at,
                   OutboxMessage.to, OutboxMessage.cc)
            .where(or_(and_(OutboxMessage.state == "sent", OutboxMessage.sent_at > now - DAY),
                       and_(OutboxMessage.state == "sending", OutboxMessage.next_attempt_at > now))))
        self._sent.clear()
        for sender, state, sent_at, lease_end, to, cc in rows:
            when = sent_at if state == "sent" else lease_end - self.lease  # claimed at
            self._sent[sender.lower()].append((when, len(to or []) + len(cc or [])))
        for history in self._sent.values():
            history.sort()
        self.stale = False

    def admit(self, sender: str, recipients: int, now: dt.datetime) -> dt.datetime | None:
        """None when the message may go now (and it is counted); else when it will fit."""
        if not self.limits.any:
            return None
        history = self._sent[sender.lower()]
        fits_at = max(self._minute_free(history, now), self._day_free(history, recipients, now))
        if fits_at > now:
            return fits_at
        bisect.insort(history, (now, recipients))
        return None

    def _minute_free(self, history: list[tuple[dt.datetime, int]], now: dt.datetime) -> dt.datetime:
        cap = self.limits.messages_per_minute
        recent = history[_since(history, now - MINUTE):]
        if not cap or len(recent) < cap:
            return now
        return recent[-cap][0] + MINUTE  # when the oldest of the last ``cap`` leaves the window

    def _day_free(self, history: list[tuple[dt.datetime, int]], recipients: int, now: dt.datetime) -> dt.datetime:
        cap = self.limits.recipients_per_day
        if not cap:
            return now
        window = history[_since(history, now - DAY):]
        used = sum(n for _, n in window)
        if used + recipients <= cap:
            return now
        if recipients > cap:  # can never fit: let it go and let the service say so
            return now
        for when, n in window:  # free the oldest until it fits
            used -= n
            if used + recipients <= cap:
                return when + DAY
        return now


def _since(history: list[tuple[dt.datetime, int]], start: dt.datetime) -> int:
    """Index of the first entry after ``start`` (the history is kept sorted)."""
    return bisect.bisect_right(history, (start, sys.maxsize))
