"""The scheduled pack: built N working days before each board meeting, sent once."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from planwarden.core.clock import FixedClock
from planwarden.core.config import SmtpSettings, load_config
from planwarden.core.db import session_scope
from planwarden.importing import import_file
from planwarden.mail.factory import deliver_queued
from planwarden.mail.smtp import SmtpTransport
from planwarden.plan.models import OutboxMessage
from planwarden.pack.models import PackSnapshot
from planwarden.pack.run import run_board_packs
from planwarden.pack.schedule import calendar_for, due_packs, working_days_before
from servers import free_port

SEED = Path(__file__).resolve().parents[1] / "config" / "examples" / "jtai" / "plan" / "000_3a816ad8139d38e0.txt"
UTC = dt.timezone.utc


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_working_days_before_skips_weekends_and_bank_holidays(jtai_env: str) -> None:
    cal = calendar_for(load_config().plan("jtai"))
    assert working_days_before(dt.date(2022, 12, 21), 5, cal) == dt.date(2022, 12, 14)
    # Wed 4 Jan 2023: back over the New Year bank holiday (Mon 2 Jan) and Christmas (26, 27 Dec)
    assert working_days_before(dt.date(2023, 1, 4), 3, cal) == dt.date(2022, 12, 29)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_due_only_on_and_after_the_build_day_until_the_meeting(jtai_env: str) -> None:
    config = load_config()
    plan_cfg = config.plan("jtai")
    on = {d.meeting_id for d in due_packs(config, plan_cfg, dt.date(2022, 12, 14))}
    assert "jtai-improvement-board" in on  # 21 Dec 2022, 5 working days ahead
    assert "jtai-improvement-board" not in {d.meeting_id for d in due_packs(config, plan_cfg, dt.date(2022, 12, 13))}
    assert "jtai-improvement-board" not in {d.meeting_id for d in due_packs(config, plan_cfg, dt.date(2022, 12, 21))}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_run_builds_and_queues_once_per_meeting(jtai_env: str, clock: FixedClock) -> None:
    config = load_config()
    with session_scope(jtai_env) as session:
        import_file(session, config, SEED, "jtai")
    first = run_board_packs(config, "jtai", dt.date(2022, 12, 14))
    board = [r for r in first if r["meeting"] == "jtai-improvement-board"]
    assert board and board[0]["outcome"] == "sent" and board[0]["meeting_date"] == "2022-12-21"
    clock.advance(hours=1)
    again = run_board_packs(config, "jtai", dt.date(2022, 12, 15))
    assert {r["meeting"]: r["outcome"] for r in again}["jtai-improvement-board"] == "already-sent"
    with session_scope(jtai_env) as session:
        keys = list(session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.kind == "pack")))
    assert keys.count("pack:jtai:jtai-improvement-board@2022-12-21") == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_meeting_pack_sent_from_the_console_and_by_the_schedule_goes_once(jtai_env: str, clock: FixedClock) -> None:
    """The console's "send" takes the meeting occurrence's key, the one the schedule sends under."""
    from planwarden.pack import deliver
    from planwarden.web.manage import stored_pack

    config = load_config()
    with session_scope(jtai_env) as session:
        import_file(session, config, SEED, "jtai")
    (board,) = [r for r in run_board_packs(config, "jtai", dt.date(2022, 12, 14))
                if r["meeting"] == "jtai-improvement-board"]
    assert board["outcome"] == "sent"
    with session_scope(jtai_env) as session:
        snapshot = session.scalars(select(PackSnapshot).where(PackSnapshot.meeting_id == "jtai-improvement-board")).one()
        built, occurrence = stored_pack(session, config, snapshot)
        assert occurrence == "jtai-improvement-board@2022-12-21"
        assert not deliver.send(session, config, built, occurrence).queued  # the secretary's press sends nothing
    with session_scope(jtai_env) as session:
        packs = list(session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.kind == "pack")))
    assert packs == ["pack:jtai:jtai-improvement-board@2022-12-21"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_flow_sends_the_pack_on_schedule(jtai_env: str, clock: FixedClock, prefect_harness: None) -> None:
    from planwarden.orchestration.flows.board_pack import board_pack

    config = load_config()
    with session_scope(jtai_env) as session:
        import_file(session, config, SEED, "jtai")
    result = board_pack(plan_key="jtai", today="2022-12-14")
    outcomes = {r["meeting"]: r["outcome"] for r in result["plans"]["jtai"]}
    assert outcomes["jtai-improvement-board"] == "sent"
    assert result["delivered"]["sent"] >= 1
    with session_scope(jtai_env) as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "pack")).first()
    assert row is not None and row.state == "sent" and row.location and Path(row.location).exists()


class Inbox:
    """aiosmtpd handler: keeps every message a real SMTP session delivers."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 2.0.0 Message accepted"


def test_the_scheduled_pack_reaches_the_secretary_over_smtp(jtai_env: str, clock: FixedClock) -> None:
    """On SQLite and PostgreSQL: built on its day, delivered over SMTP with both files attached."""
    config = load_config()
    with session_scope(jtai_env) as session:
        import_file(session, config, SEED, "jtai")
    (built,) = [r for r in run_board_packs(config, "jtai", dt.date(2022, 12, 14))
                if r["meeting"] == "jtai-improvement-board"]
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        stats = deliver_queued(config, transport=SmtpTransport(SmtpSettings(host="127.0.0.1", port=port)))
    finally:
        controller.stop()
    assert stats.sent >= 1
    heads = [(r, m, m.split(b"\r\n\r\n", 1)[0].lower()) for r, m in inbox.received]
    (recipients, raw), = [(r, m) for r, m, h in heads if b"subject: board pack" in h]
    assert "rachel.hughes@example.org" in recipients
    (annex_to, annex), = [(r, m) for r, m, h in heads if b"subject: secretary's annex" in h]
    assert list(annex_to) == ["rachel.hughes@example.org"]  # the secretary alone: it names addresses
    assert b"secretary-annex.pdf" in annex
    message = email.message_from_bytes(raw, policy=email.policy.default)
    files = {part.get_filename(): part.get_content() for part in message.iter_attachments()}
    pdf = next(content for name, content in files.items() if name.endswith(".pdf"))
    assert any(name.endswith(".docx") for name in files)
    with session_scope(jtai_env) as session:
        stored = session.scalars(select(PackSnapshot)).one()
    assert pdf == Path(stored.files["pdf"]).read_bytes() and built["outcome"] == "sent"
