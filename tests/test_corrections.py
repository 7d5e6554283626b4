"""Corrections: withdrawing an update, editing an action, `history` and `withdraw`, `users add`."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from sqlalchemy import select

from planwarden.cli import main
from planwarden.core.clock import FixedClock
from planwarden.core.config import DirectoryConfig, PersonConfig, PlanConfig
from planwarden.core.db import session_scope
from planwarden.plan.directory import Directory
from planwarden.importing.parsed import ParsedAction, ParsedPlan
from planwarden.plan.models import Action, ProgressUpdate
from planwarden.pack.state import load_record, state_at
from planwarden.plan.store import record_change
from planwarden.importing.writer import PlanWriter

UTC = dt.timezone.utc


def _plan(url: str, clock: FixedClock) -> int:
    """Plan p, action 2.1d amber; an emailed update on 20 December turns it green. Returns its id."""
    with session_scope(url) as session:
        PlanWriter(session, PlanConfig(key="p"), Directory(DirectoryConfig()), actor="t", source="import",
                   source_ref="plan.docx").write(ParsedPlan(actions=[ParsedAction(
                       "2.1d", "Map the data", "Someone", "31 January 2023", dt.date(2023, 1, 31), [], "amber")]))
    clock.set(dt.datetime(2022, 12, 20, 10, tzinfo=UTC))
    with session_scope(url) as session:
        action = session.scalar(select(Action))
        assert action is not None
        update = ProgressUpdate(date=dt.date(2022, 12, 20), text="All done", rag="green", source="email",
                                message_id="<r@x>", author="DS Ball", decision="applied", created_at=clock.now(),
                                requested_due=dt.date(2023, 2, 28))
        action.updates.append(update)
        session.flush()
        record_change(session, action, "update", None, {"id": update.id, "text": "All done", "rag": "green"},
                      actor="DS Ball", source="email", source_ref="<r@x>")
        record_change(session, action, "rag", "amber", "green", actor="DS Ball", source="email", source_ref="<r@x>")
        action.rag = "green"
        return update.id


def _state(url: str, day: dt.date) -> object:
    with session_scope(url) as session:
        record = load_record(session, "p")
        return state_at(record, dt.datetime.combine(day, dt.time(23), UTC))


def test_withdrawing_restores_the_rating_and_past_states_stay_as_they_were(
        db_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", db_url)
    update_id = _plan(db_url, clock)
    december = _state(db_url, dt.date(2022, 12, 31))
    clock.set(dt.datetime(2023, 1, 5, 9, tzinfo=UTC))
    assert main(["requests", "--json"]) == 0 and len(json.loads(capsys.readouterr().out)) == 1
    assert main(["withdraw", str(update_id), "--reason", "sent for the wrong action", "--by", "Rachel", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rag"] == "amber"
    assert main(["requests", "--json"]) == 0 and json.loads(capsys.readouterr().out) == []  # its date request too
    assert _state(db_url, dt.date(2022, 12, 31)) == december  # the December pack rebuilds exactly
    january = _state(db_url, dt.date(2023, 1, 31))
    (jan_action,) = january.actions  # type: ignore[attr-defined]
    (dec_action,) = december.actions  # type: ignore[attr-defined]
    assert (dec_action.rag, [u.text for u in dec_action.updates]) == ("green", ["All done"])
    assert (jan_action.rag, jan_action.updates) == ("amber", [])

    assert main(["history", "2.1d", "--plan", "p", "--json"]) == 0
    h = json.loads(capsys.readouterr().out)
    (u,) = h["updates"]
    assert u["withdrawn"]["reason"] == "sent for the wrong action" and u["withdrawn"]["by"] == "Rachel"
    assert [c["field"] for c in h["changes"]][-2:] == ["withdrawn", "rag"] and h["rag"] == "amber"
    assert main(["history", "2.1d", "--plan", "p"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(" created by t (import plan.docx)" in line for line in lines)  # not a dump of every field
    assert any(" rag: 'green' -> 'amber' by Rachel" in line for line in lines)
    assert main(["actions", "--plan", "p", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["updates"] == []  # it no longer counts
    assert main(["withdraw", str(update_id), "--reason", "again"]) == 2
    assert "already withdrawn" in capsys.readouterr().err
    assert main(["withdraw", "999", "--reason", "x"]) == 2 and "no update with id 999" in capsys.readouterr().err


def test_a_later_rating_stands_when_an_earlier_update_is_withdrawn(sqlite_url: str, clock: FixedClock) -> None:
    from planwarden.plan.corrections import withdraw

    update_id = _plan(sqlite_url, clock)
    clock.set(dt.datetime(2022, 12, 22, 10, tzinfo=UTC))
    with session_scope(sqlite_url) as session:
        action = session.scalar(select(Action))
        assert action is not None
        record_change(session, action, "rag", "green", "red", actor="Rachel", source="manual", source_ref="board")
        action.rag = "red"
    with session_scope(sqlite_url) as session:
        assert withdraw(session, update_id, "wrong", actor="Rachel")["rag"] == "red"


def test_editing_an_action_is_kept_in_the_history_with_its_reason(sqlite_url: str, clock: FixedClock) -> None:
    from planwarden.plan.corrections import CorrectionError, edit, history

    _plan(sqlite_url, clock)
    people = DirectoryConfig(people=[PersonConfig(id="ann", name="Ann Lee", email="ann@example.org")])
    with session_scope(sqlite_url) as session:
        done = edit(session, Directory(people), "p", "2.1D", {"due": "2023-03-31", "rag": "red", "owner_text": "Ann Lee",
                                                              "text": "Map the data"}, actor="Rachel",
                    reason="board, 4 January")
        assert done["changed"] == ["due", "rag", "owner_text"]
        with pytest.raises(CorrectionError, match="YYYY-MM-DD"):
            edit(session, Directory(people), "p", "2.1d", {"due": "31/3/23"}, actor="Rachel", reason="x")
        with pytest.raises(CorrectionError, match="reason"):
            edit(session, Directory(people), "p", "2.1d", {"rag": "red"}, actor="Rachel", reason=" ")
    with session_scope(sqlite_url) as session:
        h = history(session, "p", "2.1d")
    assert (h["due"], h["due_text"], h["rag"], h["owners"]) == ("2023-03-31", "31 March 2023", "red",
                                                                 [{"name": "Ann Lee", "email": "ann@example.org"}])
    manual = [c for c in h["changes"] if c["source"] == "manual"]
    assert {c["field"] for c in manual} == {"due", "due_text", "rag", "owner_text"}
    assert all(c["source_ref"] == "correction: board, 4 January" and c["actor"] == "Rachel" for c in manual)


def test_users_add_hashes_the_password_and_refuses_bad_input(sqlite_url: str, clock: FixedClock,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from planwarden.web.accounts import authenticate
    from planwarden.web.audit import recent
    from planwarden.web.models import User

    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    assert main(["users", "add", "Rachel@Example.org", "--name", "Rachel Hughes", "--role", "secretary",
                 "--password-stdin"]) == 0
    with session_scope(sqlite_url) as session:
        user = session.scalar(select(User))
        assert user is not None and user.email == "rachel@example.org"
        assert user.password_hash and user.password_hash.startswith("$argon2id$")
        assert "a long enough secret" not in user.password_hash
        assert authenticate(session, "rachel@example.org", "a long enough secret") is not None
        assert authenticate(session, "rachel@example.org", "wrong") is None
        assert recent(session)[0]["action"] == "user-add"
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "x@example.org", "--name", "X", "--role", "member", "--password-stdin"]) == 2
    assert "at least 10 characters" in capsys.readouterr().err
    def no_prompt(prompt: str = "") -> str:
        raise AssertionError("asked for a password for an address that can never log in")

    monkeypatch.setattr("getpass.getpass", no_prompt)
    assert main(["users", "add", "rachel.example.org", "--name", "R", "--role", "member"]) == 2
    assert "not an email address: 'rachel.example.org'" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough secret\n"))
    assert main(["users", "add", "rachel@example.org", "--name", "R", "--role", "admin", "--password-stdin"]) == 2
    assert "already a user" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))  # no password: single sign-on only
    assert main(["users", "add", "chair@example.org", "--name", "The Chair", "--role", "member",
                 "--password-stdin"]) == 0
    with session_scope(sqlite_url) as session:
        chair = session.scalar(select(User).where(User.email == "chair@example.org"))
        assert chair is not None and chair.password_hash is None
        assert authenticate(session, "chair@example.org", "") is None
