"""plan/listing.py reads `actions --json` with SQLAlchemy Core: what it returns must be
what the ORM objects say, on both databases, for the cases that trip a hand-written query
(deleted actions, withdrawn updates, two updates on one day, a BRAG plan, extra columns,
several owners, an action without section or area, and two plans)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from planwarden.core.clock import FixedClock
from planwarden.core.config import DirectoryConfig, PersonConfig, PlanConfig, RoleConfig
from planwarden.core.db import connection_scope, session_scope
from planwarden.importing.parsed import ParsedAction, ParsedArea, ParsedPlan, ParsedSection
from planwarden.importing.writer import PlanWriter
from planwarden.plan.directory import Directory
from planwarden.plan.listing import UnknownPlan, actions_json
from planwarden.plan.models import Action, Plan, ProgressUpdate
from planwarden.plan.queries import area_label, load_actions, section_label
from planwarden.plan.rag import is_complete
from planwarden.plan.store import update_order

DIRECTORY = Directory(DirectoryConfig(
    people=[PersonConfig(id="pat", name="Pat Jones", email="pat.jones@example.org"),
            PersonConfig(id="kim", name="Kim Lee", email="kim.lee@example.org")],
    roles=[RoleConfig(name="Leads", holders=["pat", "kim"])]))


def _parsed(title: str, scale: str) -> ParsedPlan:
    return ParsedPlan(
        title=title, update_date=dt.date(2022, 12, 14), rating_scale=scale,
        sections=[ParsedSection("1", "Voices", [ParsedArea("1.1", "Practice")])],
        actions=[ParsedAction("1.1a", "Develop guidance.", "Leads", "28 Feb 2023", dt.date(2023, 2, 28),
                              [dt.date(2023, 1, 31)], "amber", "Underway.", "1", "1.1", extra={"Lead": "LSCP"}),
                 ParsedAction("1.1b", "Hold masterclasses.", "Kim Lee", "", None, [], "green", "Done.",
                              "1", "1.1", complete=True),
                 ParsedAction("2a", "Loose action.", "Nobody We Know", "", None, [], None, ""),
                 ParsedAction("2b", "Dropped later.", "Pat Jones", "", None, [], "red", "")])


def _orm_view(url: str, plan_key: str | None) -> list[dict[str, Any]]:
    """The same document built from the ORM's objects: the reference."""
    with session_scope(url) as session:
        return [{"plan": a.plan.key, "ref": a.ref, "section": section_label(a), "area": area_label(a),
                 "text": a.text, "owner_text": a.owner_text,
                 "owners": [{"name": o.person.name, "email": o.person.email} for o in a.owners],
                 "due": a.due.isoformat() if a.due else None, "due_text": a.due_text,
                 "milestones": list(a.milestones or []), "rag": a.rag,
                 "complete": is_complete(a.rag, a.complete, a.plan.rating_scale), "extra": dict(a.extra or {}),
                 "updates": [{"date": u.date.isoformat() if u.date else None, "text": u.text, "rag": u.rag,
                              "source": u.source} for u in sorted(a.updates, key=update_order)
                             if u.withdrawn_at is None]}
                for a in load_actions(session, plan_key)]


@pytest.fixture
def two_plans(db_url: str, clock: FixedClock) -> str:
    for key, scale in (("brag", "brag"), ("alpha", "rag")):
        with session_scope(db_url) as session:
            PlanWriter(session, PlanConfig(key=key), DIRECTORY, actor="test", source="import",
                       source_ref=f"{key}.txt").write(_parsed(key, scale))
    clock.advance(days=1)
    now = clock.now()
    with session_scope(db_url) as session:
        first = session.scalar(select(Action).join(Plan).where(Plan.key == "alpha", Action.ref == "1.1a"))
        for text, withdrawn in (("Later the same day.", None), ("Taken back.", now), ("Same day again.", None)):
            session.add(ProgressUpdate(action=first, date=dt.date(2022, 12, 20), text=text, rag="red",
                                       source="email", created_at=now, withdrawn_at=withdrawn))
            now += dt.timedelta(minutes=1)
        session.add(ProgressUpdate(action=first, date=None, text="Undated.", source="manual", created_at=now))
        dropped = session.scalar(select(Action).join(Plan).where(Plan.key == "alpha", Action.ref == "2b"))
        dropped.deleted_at = now
    return db_url


@pytest.mark.parametrize("plan_key", [None, "alpha", "brag"])
def test_core_listing_says_what_the_orm_objects_say(two_plans: str, plan_key: str | None) -> None:
    with connection_scope(two_plans) as conn:
        rows = actions_json(conn, plan_key)
    assert rows == _orm_view(two_plans, plan_key)
    assert "2b" not in [r["ref"] for r in rows if r["plan"] == "alpha"]


def test_withdrawn_updates_are_left_out_and_the_rest_keep_their_order(two_plans: str) -> None:
    with connection_scope(two_plans) as conn:
        first = actions_json(conn, "alpha")[0]
    assert [u["text"] for u in first["updates"]] == ["Undated.", "Underway.", "Later the same day.",
                                                     "Same day again."]
    assert first["owners"] == [{"name": "Pat Jones", "email": "pat.jones@example.org"},
                               {"name": "Kim Lee", "email": "kim.lee@example.org"}]


def test_an_unknown_plan_is_named(two_plans: str) -> None:
    with connection_scope(two_plans) as conn, pytest.raises(UnknownPlan, match="no plan 'nope'"):
        actions_json(conn, "nope")
