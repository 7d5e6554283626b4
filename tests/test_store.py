"""The plan store: re-importing updates by ref, history is complete, both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from planwarden.core.clock import FixedClock
from planwarden.core.config import DirectoryConfig, PersonConfig, PlanConfig, RoleConfig
from planwarden.core.db import DatabaseUnavailable, engine_for, session_scope
from planwarden.plan.directory import Directory
from planwarden.importing.parsed import ParsedAction, ParsedArea, ParsedPlan, ParsedSection
from planwarden.plan.models import Action, History, ProgressUpdate
from planwarden.plan.queries import actions_json
from planwarden.importing.writer import PlanWriter

DIRECTORY = Directory(DirectoryConfig(
    people=[PersonConfig(id="pat", name="Pat Jones", email="pat.jones@example.org")],
    roles=[RoleConfig(name="Principal Social Worker", holders=["pat"])]))


def _plan(rag: str = "amber", due: dt.date = dt.date(2023, 2, 28), progress: str = "Work is underway.",
          owner: str = "Principal Social Worker") -> ParsedPlan:
    return ParsedPlan(
        title="Test plan", update_date=dt.date(2022, 12, 14),
        sections=[ParsedSection("1", "Voices", [ParsedArea("1.1", "Partnership practice",
                                                           what_needs_to_improve="Recording.")])],
        actions=[ParsedAction("1.1a", "Develop guidance.", owner, "28 February 2023", due, [], rag, progress,
                              "1", "1.1"),
                 ParsedAction("1.1b", "Hold masterclasses.", "Nobody We Know", "N/A", None, [], "green", "",
                              "1", "1.1")])


def _write(url: str, parsed: ParsedPlan) -> tuple[int, int, int]:
    with session_scope(url) as session:
        writer = PlanWriter(session, PlanConfig(key="t"), DIRECTORY, actor="test", source="import",
                            source_ref="t.txt")
        result = writer.write(parsed)
    return result.created, result.updated, result.unchanged


def test_import_stores_actions_with_owners_and_first_update(db_url: str, clock: FixedClock) -> None:
    assert _write(db_url, _plan()) == (2, 0, 0)
    with session_scope(db_url) as session:
        rows = actions_json(session, "t")
    first = rows[0]
    assert first["owners"] == [{"name": "Pat Jones", "email": "pat.jones@example.org"}]
    assert first["section"] == "1. Voices" and first["area"] == "1.1 Partnership practice"
    assert first["updates"] == [{"date": "2022-12-14", "text": "Work is underway.", "rag": "amber",
                                 "source": "import"}]
    assert rows[1]["owners"] == [] and rows[1]["due"] is None


def test_reimport_creates_and_changes_nothing(db_url: str, clock: FixedClock) -> None:
    _write(db_url, _plan())
    with session_scope(db_url) as session:
        before = session.scalar(select(func.count()).select_from(History))
    clock.advance(days=1)
    assert _write(db_url, _plan()) == (0, 0, 2)
    with session_scope(db_url) as session:
        assert session.scalar(select(func.count()).select_from(Action)) == 2
        assert session.scalar(select(func.count()).select_from(ProgressUpdate)) == 1
        assert session.scalar(select(func.count()).select_from(History)) == before


def test_changes_are_kept_as_history(db_url: str, clock: FixedClock) -> None:
    _write(db_url, _plan())
    clock.advance(days=30)
    assert _write(db_url, _plan(rag="green", due=dt.date(2023, 3, 31), progress="Done.")) == (0, 1, 1)
    with session_scope(db_url) as session:
        rows = session.execute(select(History.field, History.old, History.new, History.source)
                               .where(History.ref == "1.1a", History.field != "created")
                               .order_by(History.id)).all()
        assert ("rag", "amber", "green", "import") in rows
        assert ("due", "2023-02-28", "2023-03-31", "import") in rows
        assert [r.field for r in rows].count("update") == 2
        texts = [u["text"] for u in actions_json(session, "t")[0]["updates"]]
    assert texts == ["Work is underway.", "Done."]


def test_unreachable_database_is_a_clear_error_without_password() -> None:
    with pytest.raises(DatabaseUnavailable) as err:
        engine_for("postgresql://planwarden:s3cret@127.0.0.1:1/nowhere")
    assert "cannot reach the database" in str(err.value)
    assert "s3cret" not in str(err.value)
