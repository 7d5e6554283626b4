"""Reading plans back out: the `actions --json` shape and the rows people see."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from planwarden.plan.models import Action, ActionOwner, Plan
from planwarden.plan.store import update_order


class UnknownPlan(LookupError):
    """No plan with that key has been imported."""


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


def action_json(action: Action) -> dict[str, Any]:
    """One action in the shape PRODUCT.md fixes for `actions --json`."""
    return {
        "plan": action.plan.key,
        "ref": action.ref,
        "section": section_label(action),
        "area": area_label(action),
        "text": action.text,
        "owner_text": action.owner_text,
        "owners": [{"name": o.person.name, "email": o.person.email} for o in action.owners],
        "due": action.due.isoformat() if action.due else None,
        "due_text": action.due_text,
        "milestones": list(action.milestones or []),
        "rag": action.rag,
        "updates": [{"date": u.date.isoformat() if u.date else None, "text": u.text, "rag": u.rag,
                     "source": u.source} for u in sorted(action.updates, key=update_order)],
    }


def actions_json(session: Session, plan_key: str | None = None) -> list[dict[str, Any]]:
    return [action_json(a) for a in load_actions(session, plan_key)]
