"""Delivery: the state machine that hands queued mail to a transport.

    queued ──claim──▶ sending ──▶ sent            (sent_at, location, refused)
    retry  ──claim──▶ sending ──▶ retry           (attempts+1, next_attempt_at = now + backoff)
                              ──▶ failed          (permanent, or attempts reached max_attempts)

Why it is shaped like this:

- **Claims are short transactions.** Due rows are claimed (set to ``sending``) and the
  claim committed *before* anything touches the network, so a slow mail server never holds
  a database lock. On PostgreSQL the claim uses ``FOR UPDATE SKIP LOCKED`` so two runs at
  once take disjoint rows; on SQLite the engine begins every transaction IMMEDIATE, so
  claims serialise and the second run sees the first run's rows as ``sending``.
- **Each outcome is recorded as soon as it is known**, in its own short transaction
  (transports call ``on_result`` per message). After ``kill -9`` at most the one message
  that was handed to the server but not yet recorded is sent again.
- **A lease, not a lock, guards ``sending``.** A claim sets ``next_attempt_at`` to
  now + ``lease``; a row still ``sending`` after that (its process died) is claimed again.
  Re-claiming counts as an attempt, so a message that kills the process every time ends
  ``failed`` rather than looping for ever.
- **Server down is not the message's fault.** ``TransportUnavailable`` puts every claimed
  row that was not attempted back to ``retry``, due now, *without* counting an attempt:
  a long outage never turns good mail into ``failed``; the next scheduled run sends it.
  The run stops there (``DeliveryStats.unavailable`` says why).
- **Sending limits hold mail, they do not fail it.** When the transport has limits
  (Exchange Online: 30 messages a minute, 10,000 recipients a day per mailbox), a
  ``RateGate`` (``mail/limits.py``) is asked before each row is claimed; a row over the
  limit keeps its state and gets ``next_attempt_at`` = when it fits, no attempt counted,
  and a later pass sends it (``DeliveryStats.held``).
- **Late reminders say so.** A reminder handed to the transport after the (UK) day it
  was queued on carries a first line saying when it was written (``mail.late``); the
  stored copy stays as queued. Nothing else about it changes, so it is still sent once.
- **Partial refusals count as sent.** When some recipients are refused permanently (550)
  and others accepted, the message is ``sent`` with ``refused`` recorded; the secretary is
  told through ``unreported_failures`` like any permanent failure.

Times come only from ``planwarden.clock``. Log lines redact addresses.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import re
from collections.abc import Sequence
from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from planwarden.core import clock
from planwarden.core.log import redact
from planwarden.mail.compose import envelope_recipients
from planwarden.mail.limits import RateGate, SendingLimits
from planwarden.mail.outbox import OutboxState
from planwarden.mail.late import with_late_line
from planwarden.mail.transport import Delivery, OutgoingMail, Transport, TransportUnavailable
from planwarden.plan.models import OutboxMessage

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=10)
FIRST_BACKOFF = dt.timedelta(minutes=1)
MAX_BACKOFF = dt.timedelta(hours=1)
DUE_STATES = (OutboxState.QUEUED, OutboxState.RETRY)
LOCAL_TZ = "Europe/London"  # the day a reminder was written for, as owners count days


class MailUnavailable(Exception):
    """The mail service could not be reached: nothing was lost; the mail stays queued."""
_RETRY_AFTER = re.compile(r"retry[- ]after[=: ]\s*(\d+)", re.IGNORECASE)


@dataclass
class DeliveryStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    results: dict[int, Delivery] = field(default_factory=dict)
    deferred: int = 0  # claimed rows put back untouched because the transport was unavailable
    unavailable: str | None = None  # why the run stopped early, when it did
    held: int = 0  # due rows left queued until they fit the sending limits


def backoff(attempts: int) -> dt.timedelta:
    """Delay before the next try after ``attempts`` failed tries: 1, 2, 4 … min, at most 1 h."""
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def deliver_pending(sessions: sessionmaker[Session], transport: Transport, *, batch_size: int = 200,
                    limit: int | None = None, max_attempts: int = 8, lease: dt.timedelta = LEASE,
                    limits: SendingLimits | None = None, plans: PlanFilter | None = None) -> DeliveryStats:
    """Send every due message (at most ``limit``), ``batch_size`` per transport connection,
    within the sending ``limits`` (default: the transport's own ``limits``, if it has any);
    only ``plans``' messages when given (each partnership has its own transport)."""
    stats = DeliveryStats()
    limits = limits if limits is not None else getattr(transport, "limits", None)
    gate = RateGate(limits, lease) if limits is not None and limits.any else None
    while limit is None or len(stats.results) + stats.deferred < limit:
        size = batch_size if limit is None else min(batch_size, limit - len(stats.results) - stats.deferred)
        held = stats.held
        batch = claim(sessions, size, max_attempts=max_attempts, lease=lease, stats=stats, gate=gate, plans=plans)
        if not batch:
            if stats.held > held:  # all of that claim waits for the limits: look at the next rows
                continue
            break
        if not _send_batch(sessions, transport, batch, stats, max_attempts):
            break
    return stats


@dataclass(frozen=True)
class PlanFilter:
    """Which plans' messages a delivery run takes: ``only`` these, or all ``but`` these."""

    only: Collection[str] | None = None
    but: Collection[str] = ()

    def clause(self) -> object:
        if self.only is not None:
            return OutboxMessage.plan_key.in_(list(self.only))
        return or_(OutboxMessage.plan_key.is_(None), OutboxMessage.plan_key.not_in(list(self.but)))


def claim(sessions: sessionmaker[Session], size: int, *, max_attempts: int = 8, lease: dt.timedelta = LEASE,
          stats: DeliveryStats | None = None, gate: RateGate | None = None,
          plans: PlanFilter | None = None) -> list[OutgoingMail]:
    """Mark up to ``size`` due rows ``sending`` in one short transaction; return them.
    Rows the ``gate`` holds back keep their state, due again when they fit; only ``plans``'
    rows when given."""
    now = clock.now()
    stats = stats if stats is not None else DeliveryStats()
    with sessions.begin() as session:
        query = (select(OutboxMessage)
                 .where(or_(and_(OutboxMessage.state.in_(DUE_STATES), OutboxMessage.next_attempt_at <= now),
                            and_(OutboxMessage.state == OutboxState.SENDING, OutboxMessage.next_attempt_at <= now)))
                 .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(size))
        if plans is not None:
            query = query.where(plans.clause())
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        if gate is not None:
            gate.stale = True  # history is read again at this claim's first due row
        batch: list[OutgoingMail] = []
        for row in session.scalars(query):
            if row.state == OutboxState.SENDING:  # its process died mid-delivery: that was an attempt
                row.attempts += 1
                if row.attempts >= max_attempts:
                    _fail(row, "delivery interrupted repeatedly (process killed while sending)", stats)
                    continue
                log.warning("outbox %s: reclaiming after an interrupted delivery", row.id)
            recipients = envelope_recipients(row.to or [], row.cc or [])
            if gate is not None and _held(gate, session, row, len(recipients), now, stats):
                continue
            row.state = OutboxState.SENDING
            row.next_attempt_at = now + lease
            batch.append(OutgoingMail(row.id, row.message_id, row.sender, recipients, _as_sent(row, now)))
    return batch


def _held(gate: RateGate, session: Session, row: OutboxMessage, recipients: int, now: dt.datetime,
          stats: DeliveryStats) -> bool:
    """Over the sending limits: leave the row as it is, due when it fits."""
    if gate.stale:
        gate.load(session, now)
    fits_at = gate.admit(row.sender, recipients, now)
    if fits_at is None:
        return False
    if row.state == OutboxState.SENDING:  # a reclaimed row: back to retry, its attempt already counted
        row.state = OutboxState.RETRY
    row.next_attempt_at = fits_at
    stats.held += 1
    return True


def _as_sent(row: OutboxMessage, now: dt.datetime) -> bytes:
    """The bytes handed to the transport: a reminder sent after its day says so."""
    if row.kind != "reminder" or row.created_at is None:
        return row.raw
    written = clock.local_date(row.created_at, LOCAL_TZ)
    return with_late_line(row.raw, written) if written < clock.local_date(now, LOCAL_TZ) else row.raw


def raise_if_unavailable(stats: DeliveryStats) -> DeliveryStats:
    """For callers whose job is delivery (``remind``, ``outbox --deliver``, the flows): fail visibly."""
    if stats.unavailable:
        raise MailUnavailable(f"the mail service could not be reached ({stats.unavailable}); "
                              f"{stats.deferred} message(s) stay queued and are sent on the next run")
    return stats


def _send_batch(sessions: sessionmaker[Session], transport: Transport, batch: Sequence[OutgoingMail],
                stats: DeliveryStats, max_attempts: int) -> bool:
    """Send one claimed batch; False when the transport was unavailable (stop the run)."""
    def record(outbox_id: int, delivery: Delivery) -> None:
        if outbox_id not in stats.results:
            _record(sessions, outbox_id, delivery, stats, max_attempts)

    try:
        if _takes_on_result(transport):
            deliveries = transport.send(batch, on_result=record)  # type: ignore[call-arg]
        else:
            deliveries = transport.send(batch)
    except TransportUnavailable as exc:
        reason = redact(str(exc)) or type(exc).__name__
        log.warning("mail transport %s unavailable: %s", transport.name, reason)
        stats.unavailable = reason
        _release([m.outbox_id for m in batch if m.outbox_id not in stats.results], sessions, reason, stats)
        return False
    for mail, delivery in zip(batch, deliveries, strict=False):
        record(mail.outbox_id, delivery)
    missing = [m.outbox_id for m in batch if m.outbox_id not in stats.results]
    for outbox_id in missing:  # a transport that answered for fewer messages than it was given
        record(outbox_id, Delivery("retry", "transport gave no result for this message"))
    return True


def _takes_on_result(transport: Transport) -> bool:
    try:
        return "on_result" in inspect.signature(transport.send).parameters
    except (TypeError, ValueError):
        return False


def _record(sessions: sessionmaker[Session], outbox_id: int, delivery: Delivery, stats: DeliveryStats,
            max_attempts: int) -> None:
    """One message's outcome, in its own transaction, as soon as it is known."""
    now = clock.now()
    stats.results[outbox_id] = delivery
    with sessions.begin() as session:
        row = session.get(OutboxMessage, outbox_id)
        if row is None:
            return
        if delivery.outcome == "sent":
            row.state, row.sent_at, row.location = OutboxState.SENT, now, delivery.location
            row.refused = dict(delivery.refused)
            row.last_error = None
            stats.sent += 1
            if delivery.refused:
                log.warning("outbox %s: sent, but refused for %s", outbox_id,
                            redact(", ".join(delivery.refused)))
            return
        row.attempts += 1
        if delivery.outcome == "failed" or row.attempts >= max_attempts:
            reason = delivery.detail if delivery.outcome == "failed" else (
                f"gave up after {row.attempts} attempts: {delivery.detail}")
            row.refused = dict(delivery.refused)
            _fail(row, reason, stats)
            return
        row.state, row.last_error = OutboxState.RETRY, delivery.detail
        row.next_attempt_at = now + max(backoff(row.attempts), _retry_after(delivery.detail))
        stats.retried += 1
        log.info("outbox %s: retry %s at %s: %s", outbox_id, row.attempts, row.next_attempt_at.isoformat(),
                 redact(delivery.detail))


def _fail(row: OutboxMessage, reason: str, stats: DeliveryStats) -> None:
    row.state, row.last_error = OutboxState.FAILED, reason or "failed"
    stats.failed += 1
    log.warning("outbox %s: failed: %s", row.id, redact(row.last_error))


def _retry_after(detail: str) -> dt.timedelta:
    """A server's own Retry-After (Graph 429/503), carried in the detail as ``retry-after=N``."""
    match = _RETRY_AFTER.search(detail or "")
    return dt.timedelta(seconds=min(int(match.group(1)), 86400)) if match else dt.timedelta(0)


def _release(ids: list[int], sessions: sessionmaker[Session], reason: str, stats: DeliveryStats) -> None:
    """Put claimed, unattempted rows back: due now, no attempt counted."""
    if not ids:
        return
    now = clock.now()
    with sessions.begin() as session:
        for row in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))):
            if row.state == OutboxState.SENDING:
                row.state, row.next_attempt_at = OutboxState.RETRY, now
                row.last_error = f"mail service unavailable: {reason}"
                stats.deferred += 1


def unreported_failures(session: Session, plan_key: str) -> list[OutboxMessage]:
    """Mail the secretary has not yet been told about: failed, or sent with refused recipients."""
    query = (select(OutboxMessage)
             .where(OutboxMessage.plan_key == plan_key, OutboxMessage.reported_at.is_(None),
                    OutboxMessage.state.in_((OutboxState.FAILED, OutboxState.SENT)))
             .order_by(OutboxMessage.id))
    return [row for row in session.scalars(query) if row.state == OutboxState.FAILED or row.refused]


def mark_reported(rows: Sequence[OutboxMessage]) -> None:
    """Record that the secretary was told: call in the transaction that queues the digest,
    so the failure is reported exactly once."""
    when = clock.now()
    for row in rows:
        row.reported_at = when
