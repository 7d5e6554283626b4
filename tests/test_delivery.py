"""The outbox state machine: queued → sending → sent | retry | failed, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from sqlalchemy import select

from planwarden.core.clock import FixedClock
from planwarden.core.db import session_factory, session_scope
from planwarden.mail.compose import Draft
from planwarden.mail.delivery import (backoff, claim, deliver_pending, mark_reported, redact,
                                      unreported_failures)
from planwarden.mail.outbox import enqueue
from planwarden.mail.outbox_folder import OutboxFolderTransport
from planwarden.mail.transport import Delivery, OutgoingMail, TransportUnavailable
from planwarden.plan.models import OutboxMessage

OnResult = Callable[[int, Delivery], None]


def queue(url: str, n: int, *, plan_key: str = "jtai", to: Sequence[str] = ("owner@example.org",)) -> list[int]:
    with session_scope(url) as session:
        rows = [enqueue(session, Draft(sender="planwarden@example.org", to=list(to), subject=f"Reminder {i}",
                                       text=f"Action {i} is due."),
                        kind="reminder", dedupe_key=f"k{i}-{to[0]}", plan_key=plan_key) for i in range(n)]
        return [r.id for r in rows]


def rows(url: str) -> dict[int, OutboxMessage]:
    with session_scope(url) as session:
        return {r.id: r for r in session.scalars(select(OutboxMessage))}


class Scripted:
    """A transport whose answer per message comes from a function; it records what it was given."""

    name = "scripted"

    def __init__(self, answer: Callable[[OutgoingMail], Delivery] = lambda m: Delivery("sent"),
                 delay: float = 0.0) -> None:
        self.answer, self.delay = answer, delay
        self.sent: list[int] = []
        self.batches: list[int] = []

    def send(self, batch: Sequence[OutgoingMail], on_result: OnResult | None = None) -> list[Delivery]:
        self.batches.append(len(batch))
        out = []
        for mail in batch:
            if self.delay:
                time.sleep(self.delay)
            delivery = self.answer(mail)
            if delivery.outcome == "sent":
                self.sent.append(mail.outbox_id)
            out.append(delivery)
            if on_result:
                on_result(mail.outbox_id, delivery)
        return out


def test_queued_mail_is_written_once_to_the_outbox_folder(db_url: str, clock: FixedClock, tmp_path: Path) -> None:
    ids = queue(db_url, 3)
    stats = deliver_pending(session_factory(db_url), OutboxFolderTransport(tmp_path / "out"))
    assert (stats.sent, stats.retried, stats.failed) == (3, 0, 0)
    stored = rows(db_url)
    files = sorted((tmp_path / "out").glob("*.eml"))
    assert len(files) == 3
    for i in ids:
        assert stored[i].state == "sent" and stored[i].sent_at == clock.now()
        assert Path(stored[i].location or "").read_bytes() == stored[i].raw
    again = deliver_pending(session_factory(db_url), OutboxFolderTransport(tmp_path / "out"))
    assert again.results == {} and len(list((tmp_path / "out").glob("*.eml"))) == 3


def test_transient_failures_back_off_then_fail_after_max_attempts(db_url: str, clock: FixedClock) -> None:
    [oid] = queue(db_url, 1)
    transport = Scripted(lambda m: Delivery("retry", "451 4.3.0 try again later"))
    sessions = session_factory(db_url)
    start = clock.now()
    delays = []
    for attempt in range(1, 4):
        stats = deliver_pending(sessions, transport, max_attempts=4)
        assert stats.retried == 1
        row = rows(db_url)[oid]
        assert (row.state, row.attempts, row.last_error) == ("retry", attempt, "451 4.3.0 try again later")
        delays.append(row.next_attempt_at - clock.now())
        assert deliver_pending(sessions, transport).results == {}  # not due yet
        clock.set(row.next_attempt_at)
    assert delays == [dt.timedelta(minutes=1), dt.timedelta(minutes=2), dt.timedelta(minutes=4)]
    stats = deliver_pending(sessions, transport, max_attempts=4)
    row = rows(db_url)[oid]
    assert stats.failed == 1 and row.state == "failed" and row.attempts == 4
    assert "gave up after 4 attempts" in (row.last_error or "")
    assert clock.now() - start == dt.timedelta(minutes=7)
    assert backoff(20) == dt.timedelta(hours=1)


def test_retry_after_from_the_server_is_honoured(db_url: str, clock: FixedClock) -> None:
    [oid] = queue(db_url, 1)
    deliver_pending(session_factory(db_url), Scripted(lambda m: Delivery("retry", "429 throttled; retry-after=900")))
    assert rows(db_url)[oid].next_attempt_at - clock.now() == dt.timedelta(seconds=900)


def test_permanent_failure_and_partial_refusal_are_reported_to_the_secretary_once(
        db_url: str, clock: FixedClock) -> None:
    bad = queue(db_url, 1, to=("nobody@invalid.example",))[0]
    partial = queue(db_url, 1, to=("a@example.org", "gone@example.org"))[0]
    good = queue(db_url, 1, to=("b@example.org",))[0]
    other_plan = queue(db_url, 1, to=("x@invalid.example",), plan_key="cse")[0]

    def answer(mail: OutgoingMail) -> Delivery:
        if "invalid.example" in mail.recipients[0]:
            return Delivery("failed", "550 5.1.1 <nobody@invalid.example>: no such user")
        if "gone@example.org" in mail.recipients:
            return Delivery("sent", refused={"gone@example.org": "550 5.1.1 user unknown"})
        return Delivery("sent")

    stats = deliver_pending(session_factory(db_url), Scripted(answer))
    assert (stats.sent, stats.failed) == (2, 2)
    stored = rows(db_url)
    assert stored[bad].state == "failed" and "no such user" in (stored[bad].last_error or "")
    assert stored[partial].state == "sent" and stored[partial].refused == {"gone@example.org": "550 5.1.1 user unknown"}
    assert stored[good].state == "sent"
    with session_scope(db_url) as session:
        report = unreported_failures(session, "jtai")
        assert [r.id for r in report] == [bad, partial]
        mark_reported(report)
    with session_scope(db_url) as session:
        assert unreported_failures(session, "jtai") == []
        assert [r.id for r in unreported_failures(session, "cse")] == [other_plan]
    assert rows(db_url)[bad].reported_at == clock.now()


def test_server_down_sends_nothing_counts_no_attempt_and_the_next_run_sends_all(db_url: str, clock: FixedClock) -> None:
    ids = queue(db_url, 5)

    class Down:
        name = "down"

        def send(self, batch: Sequence[OutgoingMail]) -> list[Delivery]:
            raise TransportUnavailable("connection refused by mail.example.org:25")

    stats = deliver_pending(session_factory(db_url), Down(), batch_size=2)
    assert stats.sent == 0 and stats.deferred == 2 and stats.unavailable
    stored = rows(db_url)
    assert all(r.state in ("queued", "retry") and r.attempts == 0 and r.sent_at is None for r in stored.values())
    stats = deliver_pending(session_factory(db_url), Scripted(), batch_size=2)
    assert stats.sent == 5 and all(r.state == "sent" for r in rows(db_url).values())
    assert sorted(stats.results) == ids


def test_each_outcome_is_committed_as_soon_as_known_so_a_crash_loses_nothing(db_url: str, clock: FixedClock) -> None:
    ids = queue(db_url, 6)

    class Killed(BaseException):
        pass

    def answer(mail: OutgoingMail) -> Delivery:
        if mail.outbox_id == ids[3]:
            raise Killed()  # the process dies while handing message 4 to the server
        return Delivery("sent")

    first = Scripted(answer)
    with pytest.raises(Killed):
        deliver_pending(session_factory(db_url), first, batch_size=10)
    stored = rows(db_url)
    assert [stored[i].state for i in ids] == ["sent"] * 3 + ["sending"] * 3
    # Within the lease nobody else touches the in-flight rows …
    second = Scripted()
    assert deliver_pending(session_factory(db_url), second).results == {}
    # … after it they are claimed again; the interrupted try counts as an attempt.
    clock.advance(minutes=11)
    stats = deliver_pending(session_factory(db_url), second)
    assert sorted(second.sent) == ids[3:] and stats.sent == 3
    assert rows(db_url)[ids[3]].attempts == 1
    assert Counter(first.sent + second.sent) == Counter(ids)


def test_a_message_that_kills_every_run_ends_failed(db_url: str, clock: FixedClock) -> None:
    [oid] = queue(db_url, 1)
    sessions = session_factory(db_url)
    for _ in range(3):
        assert len(claim(sessions, 10, max_attempts=3)) == 1
        clock.advance(minutes=11)
    assert claim(sessions, 10, max_attempts=3) == []
    row = rows(db_url)[oid]
    assert row.state == "failed" and "interrupted" in (row.last_error or "")


def test_limit_and_batches(db_url: str, clock: FixedClock) -> None:
    queue(db_url, 7)
    transport = Scripted()
    stats = deliver_pending(session_factory(db_url), transport, batch_size=3, limit=5)
    assert stats.sent == 5 and transport.batches == [3, 2]
    stats = deliver_pending(session_factory(db_url), transport, batch_size=3)
    assert stats.sent == 2


def test_two_runs_at_once_never_send_a_message_twice(db_url: str, clock: FixedClock) -> None:
    ids = queue(db_url, 60)
    transport = Scripted(delay=0.002)
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(deliver_pending(session_factory(db_url), transport, batch_size=5).sent)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(transport.sent) == ids, "every message exactly once"
    assert sum(results) == 60


def test_log_lines_redact_addresses() -> None:
    assert redact("550 <pat.jones@example.org>: unknown") == "550 <p***@example.org>: unknown"


def test_outbox_command_delivers_and_reports_failures(sqlite_url: str, clock: FixedClock, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from planwarden.cli import main

    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    queue(sqlite_url, 2)
    with session_scope(sqlite_url) as session:
        row = session.scalars(select(OutboxMessage)).first()
        assert row is not None
        row.state, row.last_error = "failed", "550 5.1.1 <owner@example.org>: no such user"
    assert main(["outbox", "--deliver", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["delivered"]["sent"] == 1 and out["counts"]["sent"] == 1 and out["counts"]["failed"] == 1
    assert out["failures"][0]["to"] == ["owner@example.org"] and "no such user" in out["failures"][0]["problem"]
    assert main(["outbox"]) == 0
    text = capsys.readouterr().out
    assert "sent: 1" in text and "failed: 1" in text and "no such user" in text
