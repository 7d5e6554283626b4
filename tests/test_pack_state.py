"""The plan as it stood on a date, rebuilt from history: on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from planwarden.core.clock import FixedClock
from planwarden.core.config import DirectoryConfig, PlanConfig
from planwarden.core.db import session_scope
from planwarden.plan.directory import Directory
from planwarden.importing.parsed import ParsedAction, ParsedArea, ParsedPlan, ParsedSection
from planwarden.plan.models import Action, ProgressUpdate
from planwarden.pack.state import PackError, day_end, load_record, state_at, states_at
from planwarden.plan.store import record_change
from planwarden.importing.writer import PlanWriter

UTC = dt.timezone.utc


def plan(rag: str = "amber", due: dt.date = dt.date(2023, 2, 28), progress: str = "Work is underway.",
         update_date: dt.date = dt.date(2022, 12, 14)) -> ParsedPlan:
    return ParsedPlan(
        title="Test plan", update_date=update_date,
        sections=[ParsedSection("1", "Voices", [ParsedArea("1.1", "Practice", what_needs_to_improve="Recording.")])],
        actions=[ParsedAction("1.1a", "Develop guidance.", "Someone", "", due, [], rag, progress, "1", "1.1"),
                 ParsedAction("1.1b", "Hold masterclasses.", "Someone", "N/A", None, [], "green", "", "1", "1.1")])


def write(url: str, parsed: ParsedPlan, source: str = "manual") -> None:
    with session_scope(url) as session:
        PlanWriter(session, PlanConfig(key="t"), Directory(DirectoryConfig()), actor="test", source=source,
                   source_ref="t.txt").write(parsed)


def test_state_at_each_moment_follows_the_history(db_url: str, clock: FixedClock) -> None:
    write(db_url, plan())  # 14 Dec 2022 09:00
    clock.set(dt.datetime(2023, 1, 20, 10, tzinfo=UTC))
    write(db_url, plan(rag="green", due=dt.date(2023, 3, 31), progress="Done."))
    with session_scope(db_url) as session:
        record = load_record(session, "t")
        before = dt.datetime(2022, 12, 14, 8, tzinfo=UTC)
        dec, jan = day_end(dt.date(2022, 12, 31), "Europe/London"), day_end(dt.date(2023, 1, 31), "Europe/London")
        states = states_at(record, [dec, jan, before])
    assert states[before].actions == []
    first = states[dec].actions[0]
    assert (first.ref, first.rag, first.due, [u.text for u in first.updates]) == (
        "1.1a", "amber", dt.date(2023, 2, 28), ["Work is underway."])
    later = states[jan].actions[0]
    assert (later.rag, later.due, [u.text for u in later.updates]) == (
        "green", dt.date(2023, 3, 31), ["Work is underway.", "Done."])
    assert [a.ref for a in states[jan].actions] == ["1.1a", "1.1b"]


def test_a_later_change_does_not_alter_an_earlier_state(db_url: str, clock: FixedClock) -> None:
    write(db_url, plan())
    dec = day_end(dt.date(2022, 12, 31), "Europe/London")
    with session_scope(db_url) as session:
        first = state_at(load_record(session, "t"), dec)
    clock.set(dt.datetime(2023, 2, 1, 9, tzinfo=UTC))
    write(db_url, plan(rag="red", progress="Delayed."))
    with session_scope(db_url) as session:
        again = state_at(load_record(session, "t"), dec)
    assert again.actions == first.actions


def test_import_counts_from_its_document_date(db_url: str, clock: FixedClock) -> None:
    """A document dated 14 Dec 2022 imported months later still gives the December state."""
    clock.set(dt.datetime(2023, 6, 1, 9, tzinfo=UTC))
    write(db_url, plan(update_date=dt.date(2022, 12, 14)), source="import")
    with session_scope(db_url) as session:
        record = load_record(session, "t")
        state = state_at(record, day_end(dt.date(2022, 12, 31), "Europe/London"))
        assert [a.rag for a in state.actions] == ["amber", "green"]
        assert record.start.date() == dt.date(2022, 12, 14)


def test_updates_without_history_rows_are_still_shown(db_url: str, clock: FixedClock) -> None:
    """Another writer adding an update without a history row is tolerated (its time counts)."""
    write(db_url, plan())
    clock.advance(days=2)
    with session_scope(db_url) as session:
        action = session.query(Action).filter_by(ref="1.1a").one()
        action.updates.append(ProgressUpdate(date=dt.date(2022, 12, 16), text="By email.", rag="amber",
                                             source="email", created_at=clock.now(),
                                             requested_due=dt.date(2023, 4, 30)))
    with session_scope(db_url) as session:
        state = state_at(load_record(session, "t"), day_end(dt.date(2022, 12, 31), "Europe/London"))
    texts = [u.text for u in state.actions[0].updates]
    assert texts == ["Work is underway.", "By email."]
    assert state.actions[0].updates[-1].requested_due == dt.date(2023, 4, 30)


def test_a_due_change_recorded_by_hand_is_replayed(db_url: str, clock: FixedClock) -> None:
    write(db_url, plan())
    clock.advance(days=3)
    with session_scope(db_url) as session:
        action = session.query(Action).filter_by(ref="1.1a").one()
        record_change(session, action, "due", "2023-02-28", "2023-05-31", actor="secretary", source="manual")
        action.due = dt.date(2023, 5, 31)
    with session_scope(db_url) as session:
        record = load_record(session, "t")
        state = state_at(record, day_end(dt.date(2022, 12, 31), "Europe/London"))
    assert state.actions[0].due == dt.date(2023, 5, 31)
    assert state.actions[0].due_changed_at is not None


def test_unknown_plan_is_a_clear_error(db_url: str, clock: FixedClock) -> None:
    with session_scope(db_url) as session, pytest.raises(PackError, match="no plan 'nope'"):
        load_record(session, "nope")
