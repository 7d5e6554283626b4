"""Reading plans back out: the `actions --json` shape and the rows people see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from planwarden.plan import listing
from planwarden.plan.listing import UnknownPlan
from planwarden.plan.models import Action, ActionOwner, Plan


def load_actions(session: Session, plan_key: str | None = None) -> list[Action]:
    """Live actions of one plan (or all plans), in document order."""
    query = (select(Action).join(Plan).where(Action.deleted_at.is_(None))
             .options(selectinload(Action.owners).selectinload(ActionOwner.person),
                      selectinload(Action.updates), selectinload(Action.section), selectinload(Action.area))
             .order_by(Plan.key, Action.position))
    if plan_key:
        if session.scalar(select(Plan.id).where(Plan.key == plan_key)) is None:
            raise UnknownPlan(f"no plan {plan_key!r} has been imported (planwarden import FILE --plan {plan_key})")
        query = query.where(Plan.key == plan_key)
    return list(session.scalars(query))


def section_label(action: Action) -> str | None:
    s = action.section
    return f"{s.number}. {s.title}".strip() if s else None


def area_label(action: Action) -> str | None:
    a = action.area
    return f"{a.number} {a.title}".strip() if a else None


def actions_json(session: Session, plan_key: str | None = None) -> list[dict[str, Any]]:
    """The `actions --json` shape, read on the session's connection (plan/listing.py)
    after writing out what the session holds, as an ORM query would."""
    session.flush()
    return listing.actions_json(session.connection(), plan_key)
