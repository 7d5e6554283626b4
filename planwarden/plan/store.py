"""The plan store's write primitives, with every change to an action kept as history.

All writers of actions (import, email replies, the secretary's decisions) go through
``record_change`` so that the history is complete: that is what lets a past month's
board pack be rebuilt exactly.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from planwarden.core import clock
from planwarden.plan.models import Action, History, Person, Plan, ProgressUpdate

TRACKED = ("text", "owner_text", "due", "due_text", "milestones", "rag", "complete", "extra", "section", "area")

if TYPE_CHECKING:
    from planwarden.core.config import PersonConfig, PlanConfig


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def record_change(session: Session, action: Action, field_name: str, old: Any, new: Any, *, actor: str,
                  source: str, source_ref: str = "", at: dt.datetime | None = None) -> None:
    """Append one history row. History is never updated or deleted."""
    session.add(History(plan_id=action.plan_id, action_id=action.id, ref=action.ref, field=field_name,
                        old=_jsonable(old), new=_jsonable(new), at=at or clock.now(), actor=actor,
                        source=source, source_ref=source_ref))


def get_or_create_plan(session: Session, plan_cfg: PlanConfig) -> Plan:
    plan = session.scalar(select(Plan).where(Plan.key == plan_cfg.key))
    if plan is None:
        plan = Plan(key=plan_cfg.key, title=plan_cfg.title, partnership=plan_cfg.partnership,
                    timezone=plan_cfg.timezone, created_at=clock.now())
        session.add(plan)
        session.flush()
    return plan


def sync_person(session: Session, person: PersonConfig) -> Person:
    """Mirror a directory person into the store (the directory file stays the truth)."""
    row = session.scalar(select(Person).where(Person.key == person.id))
    if row is None:
        row = Person(key=person.id, name=person.name, email=person.email)
        session.add(row)
        session.flush()
    elif (row.name, row.email) != (person.name, person.email):
        row.name, row.email = person.name, person.email
    return row


def current_value(action: Action | None, name: str) -> Any:
    if action is None:
        return None
    if name == "section":
        return action.section.number if action.section else None
    if name == "area":
        return action.area.number if action.area else None
    value = getattr(action, name)
    return list(value) if name == "milestones" else value


def snapshot(action: Action) -> dict[str, Any]:
    return {name: _jsonable(current_value(action, name)) for name in TRACKED}


def update_order(update: ProgressUpdate) -> tuple[dt.date, dt.datetime, int]:
    """Updates sort by their date, then by when they were recorded."""
    return (update.date or dt.date.min, update.created_at, update.id or 0)


def latest_update(action: Action) -> ProgressUpdate | None:
    """The latest update that stands (a withdrawn one does not)."""
    standing = [u for u in action.updates if u.withdrawn_at is None]
    return max(standing, key=update_order) if standing else None
