"""The actions list (`planwarden actions --json`, the console's JSON) and the requested
new dates awaiting the board (`planwarden requests`), read with SQLAlchemy Core alone.

Through the ORM, listing 77 actions first imports it, declares every model and configures
the mappers: about 0.15 s of CPU on the machine docs/benchmarks.md measures on, half of a
command's start-up budget. These lightweight table clauses name the same tables and
columns as planwarden.plan.models; tests/test_listing.py compares what they read with
the ORM's objects, so a renamed column fails there.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Date, DateTime, Select, column, select, table

from planwarden.plan.rag import is_complete


APPROVED, REJECTED = "date-approved", "date-rejected"  # a progress update's decision on its requested date


class UnknownPlan(LookupError):
    """No plan with that key has been imported."""


@dataclass(frozen=True)
class Request:
    """A requested new due date awaiting the board."""

    id: int
    plan: str
    ref: str
    current_due: str | None
    requested_due: str
    author: str
    text: str

    def as_json(self) -> dict[str, object]:
        return dict(vars(self))


_plans = table("plans", column("id"), column("key"), column("rating_scale"))
_actions = table("actions", column("id"), column("plan_id"), column("section_id"), column("area_id"),
                 column("ref"), column("text"), column("owner_text"), column("due", Date), column("due_text"),
                 column("milestones", JSON), column("rag"), column("complete", Boolean), column("extra", JSON),
                 column("position"), column("deleted_at"))
_sections = table("sections", column("id"), column("number"), column("title"))
_areas = table("areas", column("id"), column("number"), column("title"))
_owners = table("action_owners", column("action_id"), column("person_id"), column("position"))
_people = table("people", column("id"), column("name"), column("email"))
_updates = table("progress_updates", column("id"), column("action_id"), column("date", Date), column("text"),
                 column("rag"), column("source"), column("created_at", DateTime), column("withdrawn_at"),
                 column("requested_due", Date), column("author"), column("decision"))


def actions_json(conn: Connection, plan_key: str | None = None) -> list[dict[str, Any]]:
    """Live actions of one plan (or all plans), in document order, in the shape PRODUCT.md
    fixes for `actions --json`."""
    if plan_key and conn.scalar(select(_plans.c.id).where(_plans.c.key == plan_key)) is None:
        raise UnknownPlan(f"no plan {plan_key!r} has been imported (planwarden import FILE --plan {plan_key})")
    owners = _owners_by_action(conn, plan_key)
    updates = _updates_by_action(conn, plan_key)
    query = _live(select(_actions, _plans.c.key.label("plan_key"), _plans.c.rating_scale,
                         _sections.c.number.label("section_number"), _sections.c.title.label("section_title"),
                         _areas.c.number.label("area_number"), _areas.c.title.label("area_title"))
                  .select_from(_actions.join(_plans, _plans.c.id == _actions.c.plan_id)
                               .outerjoin(_sections, _sections.c.id == _actions.c.section_id)
                               .outerjoin(_areas, _areas.c.id == _actions.c.area_id)), plan_key)
    rows = conn.execute(query.order_by(_plans.c.key, _actions.c.position)).mappings()
    return [_action(r, owners[r["id"]], updates[r["id"]]) for r in rows]


def _action(r: Any, owners: list[dict[str, str]], updates: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "plan": r["plan_key"],
        "ref": r["ref"],
        "section": (f"{r['section_number']}. {r['section_title']}".strip()
                    if r["section_id"] is not None else None),
        "area": f"{r['area_number']} {r['area_title']}".strip() if r["area_id"] is not None else None,
        "text": r["text"],
        "owner_text": r["owner_text"],
        "owners": owners,
        "due": r["due"].isoformat() if r["due"] else None,
        "due_text": r["due_text"],
        "milestones": list(r["milestones"] or []),
        "rag": r["rag"],
        "complete": is_complete(r["rag"], r["complete"], r["rating_scale"]),
        "extra": dict(r["extra"] or {}),
        "updates": updates,
    }


def _live(query: Select[Any], plan_key: str | None) -> Select[Any]:
    """Only actions not deleted, of the plan asked for (all plans without one)."""
    query = query.where(_actions.c.deleted_at.is_(None))
    return query.where(_plans.c.key == plan_key) if plan_key else query


def _owners_by_action(conn: Connection, plan_key: str | None) -> dict[int, list[dict[str, str]]]:
    query = _live(select(_owners.c.action_id, _people.c.name, _people.c.email)
                  .select_from(_owners.join(_people, _people.c.id == _owners.c.person_id)
                               .join(_actions, _actions.c.id == _owners.c.action_id)
                               .join(_plans, _plans.c.id == _actions.c.plan_id)), plan_key)
    found: dict[int, list[dict[str, str]]] = defaultdict(list)
    for action_id, name, email in conn.execute(query.order_by(_owners.c.action_id, _owners.c.position)):
        found[action_id].append({"name": name, "email": email})
    return found


def _updates_by_action(conn: Connection, plan_key: str | None) -> dict[int, list[dict[str, Any]]]:
    """Updates that stand (not withdrawn), by their date, then by when they were recorded
    (the order of planwarden.plan.store.update_order)."""
    query = _live(select(_updates).select_from(_updates.join(_actions, _actions.c.id == _updates.c.action_id)
                                               .join(_plans, _plans.c.id == _actions.c.plan_id)), plan_key)
    rows = conn.execute(query.where(_updates.c.withdrawn_at.is_(None))).mappings().all()
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for u in sorted(rows, key=lambda u: (u["date"] or dt.date.min, u["created_at"], u["id"] or 0)):
        found[u["action_id"]].append({"date": u["date"].isoformat() if u["date"] else None, "text": u["text"],
                                      "rag": u["rag"], "source": u["source"]})
    return found


def pending_requests(conn: Connection, plan_key: str | None = None) -> list[Request]:
    """Requests no decision has been recorded for, oldest first."""
    query = (select(_updates.c.id, _plans.c.key, _actions.c.ref, _actions.c.due, _updates.c.requested_due,
                    _updates.c.author, _updates.c.text)
             .select_from(_updates.join(_actions, _actions.c.id == _updates.c.action_id)
                          .join(_plans, _plans.c.id == _actions.c.plan_id))
             .where(_updates.c.requested_due.is_not(None), _updates.c.decision.not_in([APPROVED, REJECTED]),
                    _updates.c.withdrawn_at.is_(None))
             .order_by(_updates.c.created_at, _updates.c.id))
    return [Request(id_, key, ref, due.isoformat() if due else None, requested.isoformat() if requested else "",
                    author, text)
            for id_, key, ref, due, requested, author, text in conn.execute(_live(query, plan_key))]
