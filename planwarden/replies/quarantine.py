"""The secretary's queue: replies planwarden could not place, kept whole until decided.

``apply`` records a quarantined reply as an update to the action(s) the secretary names
(history says who decided); ``discard`` closes it with a reason. Either way the original
message stays stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from planwarden.core import clock
from planwarden.core.config import Config
from planwarden.plan.directory import Directory
from planwarden.plan.models import Action, ActionOwner, Plan, ProgressUpdate
from planwarden.replies.clean import clean_reply
from planwarden.replies.effects import send_confirmation, set_rating
from planwarden.replies.extract import Extracted, extract, find_rag, rating_for
from planwarden.replies.message import parse
from planwarden.replies.models import InboundMessage
from planwarden.replies.placing import PlacedUpdate, SenderCheck, today_for
from planwarden.plan.store import record_change

RAGS = ("red", "amber", "green")


class QuarantineError(ValueError):
    """The secretary's request cannot be done (unknown id, already decided, unknown ref)."""


@dataclass
class Waiting:
    row: InboundMessage
    text: str

    def as_json(self) -> dict[str, Any]:
        r = self.row
        return {"id": r.id, "message_id": r.message_id, "received_at": r.received_at.isoformat(),
                "sender": r.sender, "subject": r.subject, "reason": r.reason, "plan": r.plan_key or None,
                "refs": list(r.refs or []), "text": self.text,
                "attachments": [{"filename": a.filename, "size": a.size, "kept": a.content is not None}
                                for a in r.attachments]}


def waiting(session: Session) -> list[Waiting]:
    rows = session.scalars(select(InboundMessage).where(InboundMessage.outcome == "quarantined",
                                                        InboundMessage.resolved_at.is_(None))
                           .options(selectinload(InboundMessage.attachments))
                           .order_by(InboundMessage.received_at, InboundMessage.id))
    return [Waiting(r, clean_reply(parse(r.raw).text)) for r in rows]


def _open(session: Session, inbound_id: int) -> InboundMessage:
    row = session.get(InboundMessage, inbound_id, with_for_update=True)
    if row is None or row.outcome != "quarantined":
        raise QuarantineError(f"no quarantined reply with id {inbound_id} (planwarden quarantine lists them)")
    if row.resolved_at is not None:
        raise QuarantineError(f"quarantined reply {inbound_id} was already decided: {row.resolution}")
    return row


def _action(session: Session, ref: str, plan_key: str | None) -> Action:
    query = (select(Action).join(Plan).where(func.lower(Action.ref) == ref.strip().lower(), Action.deleted_at.is_(None))
             .options(selectinload(Action.owners).selectinload(ActionOwner.person), selectinload(Action.plan)))
    if plan_key:
        query = query.where(Plan.key == plan_key)
    found = list(session.scalars(query))
    if not found:
        raise QuarantineError(f"no action {ref}" + (f" in plan {plan_key}" if plan_key else ""))
    if len(found) > 1:
        raise QuarantineError(f"ref {ref} is in several plans ({', '.join(a.plan.key for a in found)}): give --plan")
    return found[0]


def apply(session: Session, config: Config, inbound_id: int, refs: list[str], *, rag: str | None = None,
          plan_key: str | None = None, actor: str = "secretary") -> dict[str, Any]:
    """Record a quarantined reply as the update of each named action."""
    if rag is not None and rag not in RAGS:
        raise QuarantineError(f"--rag must be one of {', '.join(RAGS)}")
    row = _open(session, inbound_id)
    now = clock.now()
    mail = parse(row.raw)
    text = clean_reply(mail.text)
    actions = [_action(session, ref, plan_key or row.plan_key or None) for ref in refs]
    pieces = {p.ref: p for p in extract(text, {a.ref.lower() for a in actions}) if p.ref}
    check = SenderCheck(Directory(config.directory), mail.sender)
    applied = []
    for action in actions:
        piece = pieces.get(action.ref.lower())
        if piece is None:
            found_rag, rest = find_rag(text)
            piece = Extracted(action.ref, rest, found_rag, None)
        scale = action.plan.rating_scale
        chosen, complete = (rag, False if scale == "brag" else None) if rag else rating_for(piece, scale)
        if session.scalar(select(ProgressUpdate.id).where(ProgressUpdate.action_id == action.id,
                                                          ProgressUpdate.message_id == row.message_id)):
            raise QuarantineError(f"this reply is already an update of {action.ref}")
        author = check(action) or mail.sender or "unknown sender"
        update = ProgressUpdate(date=today_for(action, now), author=author, text=piece.text, rag=chosen,
                                source="email", message_id=row.message_id, requested_due=piece.requested_due,
                                decision=f"applied from quarantine by {actor} (was: {row.reason})", created_at=now)
        action.updates.append(update)
        session.flush()
        record_change(session, action, "update", None,
                      {"id": update.id, "text": piece.text, "rag": chosen, "complete": complete, "author": author,
                       "requested_due": piece.requested_due.isoformat() if piece.requested_due else None},
                      actor=actor, source="email", source_ref=row.message_id, at=now)
        set_rating(session, action, chosen, complete, actor=actor, source_ref=row.message_id, at=now)
        action.updated_at = now
        applied.append({"ref": action.ref, "rag": chosen, "text": piece.text,
                        "requested_due": piece.requested_due.isoformat() if piece.requested_due else None,
                        "action": action, "author": author, "_placed": PlacedUpdate(action, action.plan.key, piece)})
    row.resolved_at, row.resolved_by = now, actor
    row.resolution = "applied to " + ", ".join(f"{a.plan.key} {a.ref}" for a in actions)
    if check.person is not None and mail.sender_problem is None:  # confirm to directory people only
        send_confirmation(session, config, check.directory, mail, now,
                          [{k: v for k, v in a.items() if k != "_placed"} for a in applied])
    return {"id": row.id, "message_id": row.message_id, "resolution": row.resolution,
            "updates": [{k: a[k] for k in ("ref", "rag", "text", "requested_due")} for a in applied]}


def discard(session: Session, inbound_id: int, reason: str, *, actor: str = "secretary") -> dict[str, Any]:
    if not reason.strip():
        raise QuarantineError("give a reason for discarding it (--reason)")
    row = _open(session, inbound_id)
    row.resolved_at, row.resolved_by = clock.now(), actor
    row.resolution = f"discarded: {reason.strip()}"
    return {"id": row.id, "message_id": row.message_id, "resolution": row.resolution}
