"""The board's decisions on requested new due dates.

Owners ask for more time in their replies ("New date: 31 March 2023"); the request is
recorded, never applied. After the board has decided, the secretary approves it (the
due date changes, the reminder stages start again) or rejects it. Either way the
decision goes into the history, so later packs show what was decided and when.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from planwarden.plan import listing
from planwarden.plan.listing import APPROVED, REJECTED, Request
from planwarden.plan.models import ProgressUpdate
from planwarden.plan.store import record_change

__all__ = ["APPROVED", "REJECTED", "DecisionError", "Request", "approve", "pending", "reject"]


class DecisionError(Exception):
    """The request does not exist or was already decided."""


def pending(session: Session, plan_key: str | None = None) -> list[Request]:
    """Requests no decision has been recorded for, oldest first (plan/listing.py reads
    them, after the session has written out what it holds)."""
    session.flush()
    return listing.pending_requests(session.connection(), plan_key)


def _request(u: ProgressUpdate) -> Request:
    a = u.action
    return Request(u.id, a.plan.key, a.ref, a.due.isoformat() if a.due else None,
                   u.requested_due.isoformat() if u.requested_due else "", u.author, u.text)


def _open(session: Session, request_id: int) -> ProgressUpdate:
    update = session.get(ProgressUpdate, request_id, with_for_update=True)
    if update is None or update.requested_due is None:
        raise DecisionError(f"no requested new date with id {request_id} (see: planwarden requests)")
    if update.decision in (APPROVED, REJECTED):
        raise DecisionError(f"request {request_id} was already decided: {update.decision}")
    return update


def approve(session: Session, request_id: int, *, by: str) -> Request:
    """Apply the requested date: history records who decided and the change of due date."""
    update = _open(session, request_id)
    action, new_due = update.action, update.requested_due
    assert new_due is not None
    new_text = f"{new_due.day} {new_due:%B %Y}"
    for name, old, new in (("due", action.due, new_due), ("due_text", action.due_text, new_text)):
        record_change(session, action, name, old, new, actor=by, source="manual", source_ref=f"request {update.id}")
    action.due, action.due_text = new_due, new_text
    _decide(session, update, APPROVED, by, "")
    return _request(update)


def reject(session: Session, request_id: int, *, by: str, reason: str) -> Request:
    update = _open(session, request_id)
    _decide(session, update, REJECTED, by, reason)
    return _request(update)


def _decide(session: Session, update: ProgressUpdate, decision: str, by: str, reason: str) -> None:
    record_change(session, update.action, "date-request", update.decision,
                  {"update_id": update.id, "decision": decision, "requested_due": str(update.requested_due),
                   "reason": reason}, actor=by, source="manual", source_ref=f"request {update.id}")
    update.decision = decision
