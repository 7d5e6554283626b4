"""Sending limits (Exchange Online: 30 messages a minute, 10,000 recipients a day per mailbox):
the outbox holds what does not fit and later passes send it; nothing is failed for it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from planwarden.core.clock import FixedClock
from planwarden.core.config import ConfigError, load_config
from planwarden.core.db import session_factory
from planwarden.mail.delivery import deliver_pending
from planwarden.mail.factory import deliver_queued, sending_limits
from planwarden.mail.limits import EXCHANGE_ONLINE, RateGate, SendingLimits
from planwarden.plan.models import OutboxMessage
from test_config import MAIN, _write
from test_delivery import Scripted, queue, rows


def _windows(sent: list[dt.datetime], width: dt.timedelta) -> int:
    """The most messages sent in any window of ``width`` (sliding)."""
    sent = sorted(sent)
    return max((sum(1 for t in sent[i:] if t < start + width) for i, start in enumerate(sent)), default=0)


def test_a_big_day_is_spread_at_30_a_minute_not_failed(db_url: str, clock: FixedClock) -> None:
    ids = queue(db_url, 100)
    sessions = session_factory(db_url)
    transport = Scripted()
    first = deliver_pending(sessions, transport, limits=EXCHANGE_ONLINE)
    assert (first.sent, first.held, first.failed) == (30, 70, 0)
    held = [r for r in rows(db_url).values() if r.state != "sent"]
    assert {r.state for r in held} == {"queued"} and {r.attempts for r in held} == {0}, "held, not retried"
    assert {r.next_attempt_at for r in held} == {clock.now() + dt.timedelta(minutes=1)}
    assert deliver_pending(sessions, transport, limits=EXCHANGE_ONLINE).sent == 0, "a pass at once sends nothing"
    passes = 1
    while len(transport.sent) < 100:
        clock.advance(seconds=20)
        deliver_pending(sessions, transport, limits=EXCHANGE_ONLINE)
        passes += 1
    stored = rows(db_url)
    assert sorted(transport.sent) == sorted(ids) and len(set(transport.sent)) == 100, "each sent once"
    assert _windows([r.sent_at for r in stored.values() if r.sent_at], dt.timedelta(minutes=1)) <= 30
    assert all(r.state == "sent" and r.attempts == 0 for r in stored.values())


def test_the_daily_recipient_cap_holds_mail_for_the_next_day(db_url: str, clock: FixedClock) -> None:
    queue(db_url, 10, to=("a@example.org", "b@example.org", "c@example.org"))
    sessions = session_factory(db_url)
    limits = SendingLimits(recipients_per_day=20)
    assert deliver_pending(sessions, Scripted(), limits=limits).sent == 6  # 18 recipients; a 7th would be 21
    start = clock.now()
    clock.advance(hours=23)
    assert deliver_pending(sessions, Scripted(), limits=limits).sent == 0, "a new pass reads the day's history"
    held = [r for r in rows(db_url).values() if r.state == "queued"]
    assert len(held) == 4 and {r.next_attempt_at for r in held} == {start + dt.timedelta(days=1)}
    clock.advance(hours=1)
    assert deliver_pending(sessions, Scripted(), limits=limits).sent == 4


def test_the_gate_is_per_sending_mailbox() -> None:
    gate, now = RateGate(SendingLimits(messages_per_minute=1)), dt.datetime(2022, 12, 14, 9, tzinfo=dt.timezone.utc)
    assert gate.admit("plan-a@example.org", 1, now) is None
    assert gate.admit("PLAN-A@example.org", 1, now) == now + dt.timedelta(minutes=1)
    assert gate.admit("plan-b@example.org", 1, now) is None, "another partnership's mailbox has its own limit"


def test_limits_come_from_the_transport_settings(db_url: str, clock: FixedClock, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    smtp = MAIN.replace('transport = "outbox"', 'transport = "smtp"') + "\n[mail.smtp]\nmax_messages_per_minute = 2\n"
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", db_url)
    config = load_config(_write(tmp_path, smtp))
    assert sending_limits(config.mail) == SendingLimits(messages_per_minute=2)
    queue(db_url, 5)
    stats = deliver_queued(config, transport=Scripted(), sessions=session_factory(db_url))
    assert (stats.sent, stats.held) == (2, 3)
    graph = load_config(_write(tmp_path, MAIN.replace('transport = "outbox"', 'transport = "graph"')))
    assert sending_limits(graph.mail) == EXCHANGE_ONLINE, "Graph defaults to Exchange Online's limits"


def test_a_negative_limit_names_the_key(tmp_path: Path) -> None:
    bad = MAIN + "\n[mail.graph]\nmax_recipients_per_day = -1\n"
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, bad))
    assert err.value.key == "mail.graph.max_recipients_per_day"


def test_without_limits_nothing_is_held(db_url: str, clock: FixedClock) -> None:
    queue(db_url, 50)
    stats = deliver_pending(session_factory(db_url), Scripted())
    assert (stats.sent, stats.held) == (50, 0)
    with session_factory(db_url)() as session:
        assert not session.scalars(select(OutboxMessage).where(OutboxMessage.state != "sent")).all()


def test_two_passes_at_once_share_one_allowance(db_url: str, clock: FixedClock) -> None:
    import threading

    queue(db_url, 100)
    sessions = session_factory(db_url)
    transports = [Scripted(delay=0.002), Scripted(delay=0.002)]
    passes = [threading.Thread(target=deliver_pending, args=(sessions, t), kwargs={"limits": EXCHANGE_ONLINE,
                                                                                 "batch_size": 10})
              for t in transports]
    for p in passes:
        p.start()
    for p in passes:
        p.join()
    sent = transports[0].sent + transports[1].sent
    assert len(sent) == 30 and len(set(sent)) == 30, "30 in the minute between them, none twice"
