"""The secretary records the board's decision on a requested new date."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from planwarden.cli import main
from planwarden.core.clock import FixedClock
from planwarden.core.config import DirectoryConfig, PlanConfig
from planwarden.core.db import session_scope
from planwarden.plan.directory import Directory
from planwarden.importing.parsed import ParsedAction, ParsedPlan
from planwarden.plan.models import Action, History, ProgressUpdate
from planwarden.importing.writer import PlanWriter


def _plan_with_request(url: str) -> int:
    with session_scope(url) as session:
        PlanWriter(session, PlanConfig(key="p"), Directory(DirectoryConfig()), actor="t", source="import",
                   source_ref="t").write(ParsedPlan(actions=[ParsedAction(
                       "2.1d", "Map the data", "Someone", "31 January 2023", dt.date(2023, 1, 31), [], "amber")]))
        action = session.scalar(select(Action))
        assert action is not None
        update = ProgressUpdate(text="Drafted. New date: 28 February 2023", rag="amber", source="email",
                                message_id="<r@x>", requested_due=dt.date(2023, 2, 28), author="DS Ball",
                                decision="applied", created_at=dt.datetime(2023, 1, 10, tzinfo=dt.timezone.utc))
        action.updates.append(update)
        session.flush()
        return update.id


def test_approving_moves_the_due_date_and_keeps_the_decision(db_url: str, clock: FixedClock,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", db_url)
    request_id = _plan_with_request(db_url)
    assert main(["requests", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["ref"], listed["current_due"], listed["requested_due"]) == ("2.1d", "2023-01-31", "2023-02-28")
    assert main(["requests", "approve", str(request_id), "--by", "Rachel Hughes"]) == 0
    capsys.readouterr()
    assert main(["requests", "--json"]) == 0 and json.loads(capsys.readouterr().out) == []
    with session_scope(db_url) as session:
        action = session.scalar(select(Action))
        assert action is not None and action.due == dt.date(2023, 2, 28) and action.due_text == "28 February 2023"
        fields = {h.field: h for h in session.scalars(select(History).where(History.source == "manual"))}
        assert fields["due"].old == "2023-01-31" and fields["due"].actor == "Rachel Hughes"
        assert fields["date-request"].new["decision"] == "date-approved"
    assert main(["requests", "reject", str(request_id), "--reason", "late"]) == 2  # decided once only
    assert "already decided" in capsys.readouterr().err


def test_rejecting_needs_a_reason_and_leaves_the_date(sqlite_url: str, clock: FixedClock,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    request_id = _plan_with_request(sqlite_url)
    assert main(["requests", "reject", str(request_id)]) == 2
    assert main(["requests", "reject", str(request_id), "--reason", "Board wants it by January"]) == 0
    with session_scope(sqlite_url) as session:
        action = session.scalar(select(Action))
        assert action is not None and action.due == dt.date(2023, 1, 31)


def test_a_rejected_request_no_longer_awaits_the_board(sqlite_url: str, clock: FixedClock,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from planwarden.pack.compute import awaiting_date
    from planwarden.pack.state import load_record, state_at

    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    request_id = _plan_with_request(sqlite_url)
    clock.advance(days=40)
    with session_scope(sqlite_url) as session:
        before = state_at(load_record(session, "p"), clock.now())
    assert main(["requests", "reject", str(request_id), "--reason", "Board wants it by January"]) == 0
    clock.advance(days=1)
    with session_scope(sqlite_url) as session:
        after = state_at(load_record(session, "p"), clock.now())
    assert awaiting_date(before.actions[0]) is not None
    assert awaiting_date(after.actions[0]) is None
