"""`planwarden pack` and sending the pack: what the secretary and a script see."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from planwarden.cli import main
from planwarden.core.clock import FixedClock
from planwarden.core.config import load_config
from planwarden.core.db import session_scope
from planwarden.plan.models import OutboxMessage
from planwarden.pack import deliver
from planwarden.pack.build import build, request_for

SEED = Path(__file__).resolve().parents[1] / "config" / "examples" / "jtai" / "plan" / "000_3a816ad8139d38e0.txt"
UTC = dt.timezone.utc


@pytest.fixture
def seeded(jtai_env: str, clock: FixedClock, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["import", str(SEED), "--plan", "jtai"]) == 0
    capsys.readouterr()
    clock.set(dt.datetime(2023, 1, 5, 9, tzinfo=UTC))
    return jtai_env


def test_pack_month_writes_pdf_and_docx_to_out(seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["pack", "--plan", "jtai", "--month", "2022-12", "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["as_of"] == "2022-12-31" and result["counts"]["total"] == 77
    assert (result["counts"]["green"], result["counts"]["amber"]) == (35, 42)
    assert sorted(p.name for p in out.iterdir()) == ["jtai-board-pack-2022-12-31.docx", "jtai-board-pack-2022-12-31.pdf"]
    assert (out / "jtai-board-pack-2022-12-31.pdf").read_bytes()[:5] == b"%PDF-"
    assert main(["pack", "--plan", "jtai", "--month", "2022-12"]) == 0
    assert "identical to the pack already stored" in capsys.readouterr().out


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_pack_errors_are_plain(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pack", "--plan", "jtai", "--month", "2022-11"]) == 2
    assert "no recorded state before 14 December 2022" in capsys.readouterr().err
    assert main(["pack", "--plan", "jtai", "--as-of", "yesterday"]) == 2
    assert "--as-of must be a date" in capsys.readouterr().err
    assert main(["pack", "--plan", "nope"]) == 2
    assert "no plan 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_send_queues_one_email_with_both_files_and_a_summary(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pack", "--plan", "jtai", "--as-of", "2022-12-14", "--send", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["sent"]["to"] == ["rachel.hughes@example.org", "lscp@example.org"] or \
        result["sent"]["to"][-1] == "lscp@example.org"
    assert main(["pack", "--plan", "jtai", "--as-of", "2022-12-14", "--send", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sent"]["queued"] is False
    with session_scope(seeded) as session:
        rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "pack")))
    assert len(rows) == 1
    msg = email.message_from_bytes(rows[0].raw, policy=email.policy.default)
    names = sorted(part.get_filename() for part in msg.iter_attachments())
    assert names[0].endswith(".docx") and names[1].endswith(".pdf")
    html = msg.get_body(("html",)).get_content()
    assert "42" in html and "Amber" in html and "Overdue" in html
    assert "Board pack" in msg["Subject"] and "14 December 2022" in msg["Subject"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_too_large_to_attach_gives_the_stored_path(seeded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config()
    monkeypatch.setattr(config.plan("jtai").pack, "max_attachment_mb", 0.01)
    with session_scope(seeded) as session:
        built = build(session, config, request_for(session, config, "jtai", dt.date(2022, 12, 14)))
        sent = deliver.send(session, config, built)
        raw = session.scalar(select(OutboxMessage.raw).where(OutboxMessage.kind == "pack"))
    assert sent.attached is False
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert list(msg.iter_attachments()) == []
    assert str(built.pdf) in msg.get_body(("plain",)).get_content()
