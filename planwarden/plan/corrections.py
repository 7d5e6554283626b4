"""Corrections: one action's history, editing an action, withdrawing an update.

A secretary sometimes has to put right what the record says: a typo in an action's text,
a new owner, a due date the board set, a rating, or an update applied to the wrong
action. Nothing is ever deleted: an edit is a history row like any other (source
``manual``, the reason in ``source_ref``), and a withdrawn update stays stored, marked
withdrawn, with a ``withdrawn`` history row after it. The pack replays the history, so
a pack rebuilt for a month before the correction is exactly what it was.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from planwarden.core import clock
from planwarden.plan.directory import Directory, tidy
from planwarden.plan.models import Action, ActionOwner, History, Plan, ProgressUpdate
from planwarden.plan.rag import is_complete
from planwarden.plan.owners import directory_for, set_owners
from planwarden.plan.store import record_change, update_order

RAGS = ("red", "amber", "green")
EDITABLE = ("text", "owner_text", "due", "rag")


class CorrectionError(ValueError):
    """The correction cannot be made: the message says why, for people."""


def find_action(session: Session, plan_key: str, ref: str) -> Action:
    """The live action ``ref`` of a plan (refs compare without case)."""
    action = session.scalar(
        select(Action).join(Plan).where(Plan.key == plan_key, func.lower(Action.ref) == ref.strip().lower(),
                                        Action.deleted_at.is_(None))
        .options(selectinload(Action.owners).selectinload(ActionOwner.person), selectinload(Action.updates),
                 selectinload(Action.plan), selectinload(Action.section), selectinload(Action.area)))
    if action is None:
        raise CorrectionError(f"no action {ref} in plan {plan_key} (planwarden actions --plan {plan_key} lists them)")
    return action


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def update_json(u: ProgressUpdate) -> dict[str, Any]:
    withdrawn = None if u.withdrawn_at is None else {
        "at": u.withdrawn_at.isoformat(), "by": u.withdrawn_by, "reason": u.withdrawn_reason}
    return {"id": u.id, "date": _iso(u.date), "text": u.text, "rag": u.rag, "source": u.source,
            "author": u.author, "message_id": u.message_id, "requested_due": _iso(u.requested_due),
            "decision": u.decision, "recorded_at": _iso(u.created_at), "withdrawn": withdrawn}


def change_json(h: History) -> dict[str, Any]:
    return {"id": h.id, "at": h.at.isoformat(), "field": h.field, "old": h.old, "new": h.new,
            "actor": h.actor, "source": h.source, "source_ref": h.source_ref}


def history(session: Session, plan_key: str, ref: str) -> dict[str, Any]:
    """Every update and every recorded change of one action (``planwarden history --json``)."""
    action = find_action(session, plan_key, ref)
    changes = session.scalars(select(History).where(History.action_id == action.id).order_by(History.at, History.id))
    return {"plan": plan_key, "ref": action.ref, "text": action.text, "owner_text": action.owner_text,
            "owners": [{"name": o.person.name, "email": o.person.email} for o in action.owners],
            "due": _iso(action.due), "due_text": action.due_text, "milestones": list(action.milestones or []),
            "rag": action.rag, "complete": action.complete, "scale": action.plan.rating_scale or "rag",
            "extra": dict(action.extra or {}),
            "updates": [update_json(u) for u in sorted(action.updates, key=update_order)],
            "changes": [change_json(h) for h in changes]}


def withdraw(session: Session, update_id: int, reason: str, *, actor: str) -> dict[str, Any]:
    """Take back an update: it stays stored and in the history; the rating returns to before it."""
    if not reason.strip():
        raise CorrectionError("give a reason for withdrawing the update (--reason)")
    update = session.get(ProgressUpdate, update_id, with_for_update=True)
    if update is None:
        raise CorrectionError(f"no update with id {update_id} (planwarden history REF --plan KEY lists them)")
    if update.withdrawn_at is not None:
        raise CorrectionError(f"update {update_id} was already withdrawn by {update.withdrawn_by}: "
                              f"{update.withdrawn_reason}")
    action, now = update.action, clock.now()
    record_change(session, action, "withdrawn", None, {"id": update.id, "reason": reason.strip()},
                  actor=actor, source="manual", source_ref=f"withdraw update {update.id}", at=now)
    for name in ("rag", "complete"):  # complete: a Blue reply on a BRAG plan
        restored = _value_before(session, action, update, name)
        if restored is not None and restored[0] == getattr(action, name):
            record_change(session, action, name, getattr(action, name), restored[1], actor=actor, source="manual",
                          source_ref=f"withdraw update {update.id}", at=now)
            setattr(action, name, restored[1])
    update.withdrawn_at, update.withdrawn_by, update.withdrawn_reason = now, actor, reason.strip()
    action.updated_at = now
    return {"id": update.id, "plan": action.plan.key, "ref": action.ref, "rag": action.rag,
            "withdrawn": {"at": now.isoformat(), "by": actor, "reason": reason.strip()}}


def _value_before(session: Session, action: Action, update: ProgressUpdate,
                  name: str) -> tuple[Any, Any] | None:
    """(value it gave, value before it) when the update set the action's latest ``name`` (rag or
    complete); else None. Only the latest change can be undone by withdrawing: a later one stands."""
    rows = list(session.scalars(select(History).where(History.action_id == action.id,
                                                      History.field.in_(("update", name)))
                                .order_by(History.at, History.id)))
    added = next((h for h in rows if h.field == "update" and isinstance(h.new, dict)
                  and h.new.get("id") == update.id), None)
    changes = [h for h in rows if h.field == name]
    last = changes[-1] if changes else None
    if added is None or last is None or (last.at, last.source_ref) != (added.at, added.source_ref) or last.id < added.id:
        return None
    return last.new, last.old


def edit(session: Session, directory: Directory, plan_key: str, ref: str, changes: dict[str, Any], *,
         actor: str, reason: str) -> dict[str, Any]:
    """Change an action's text, owner, due date or rating; each change is a history row."""
    if not reason.strip():
        raise CorrectionError("give a reason for the correction: it is kept in the history")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise CorrectionError(f"cannot edit {', '.join(sorted(unknown))}: only {', '.join(EDITABLE)}")
    action, now = find_action(session, plan_key, ref), clock.now()
    values = _checked(changes)
    if "rag" in values:
        values["rag"], values["complete"] = _rating(values["rag"], action.plan.rating_scale or "rag")
    done: list[str] = []
    for name, new in values.items():
        old = getattr(action, name)
        if old == new:
            continue
        record_change(session, action, name, old, new, actor=actor, source="manual",
                      source_ref=f"correction: {reason.strip()}", at=now)
        setattr(action, name, new)
        done.append(name)
        if name == "due":
            text = f"{new.day} {new:%B %Y}" if new else ""
            record_change(session, action, "due_text", action.due_text, text, actor=actor, source="manual",
                          source_ref=f"correction: {reason.strip()}", at=now)
            action.due_text = text
        if name == "owner_text":
            _resolve_owners(session, directory, action)
    if done:
        action.updated_at = now
    return {"plan": plan_key, "ref": action.ref, "changed": done, "reason": reason.strip()}


def _checked(changes: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "rag":
            value = (value or None) and str(value).strip().lower()
            if value not in (None, *RAGS, "blue"):
                raise CorrectionError(f"rating must be one of {', '.join(RAGS)}, blue on a BRAG plan (or none), "
                                      f"not {value!r}")
        elif name == "due":
            try:
                value = dt.date.fromisoformat(str(value)) if value else None
            except ValueError:
                raise CorrectionError(f"due date must be YYYY-MM-DD, not {value!r}") from None
        elif name == "text":
            value = str(value).strip()
            if not value:
                raise CorrectionError("an action's text cannot be empty")
        else:
            value = tidy(str(value))
        out[name] = value
    return out


def _rating(value: str | None, scale: str) -> tuple[str | None, bool]:
    """(stored rating, complete) for a chosen rating, as plan.rag defines them: Blue is green + complete
    (BRAG only); on a BRAG plan any other rating reopens the action; under RAG green is complete."""
    if value == "blue":
        if scale != "brag":
            raise CorrectionError("Blue is a rating of BRAG plans only: this plan is rated Red, Amber, Green")
        return "green", True
    return value, is_complete(value, False, scale)


def _resolve_owners(session: Session, directory: Directory, action: Action) -> None:
    """The owners the new owner text names, through the directory and the plan's mappings
    (unresolved: the secretary)."""
    set_owners(session, action, directory_for(session, directory, action.plan_id).resolve(action.owner_text))
