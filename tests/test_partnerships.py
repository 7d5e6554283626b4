"""Two partnerships on one service: one database, one mail server, each with its own
sender, Reply-To, transport and secretary. Neither sees the other's data in its mail or
in the commands run for it."""

from __future__ import annotations

import email
import email.policy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from conftest import EXAMPLE
from planwarden.cli import main
from servers import free_port
from seeds import SEED_000, SEED_003, seed_path

PLANS = {
    "children": {"title": "JTAI Action Plan", "partnership": "Cheshire East Children's Partnership",
                 "secretary": "rachel.hughes", "seed": SEED_000, "sender": "children-plan@example.org",
                 "mailbox": "children-replies@example.org"},
    "community": {"title": "Pan-Cheshire CSE Plan", "partnership": "Community Safety Partnership",
                  "secretary": "karen.doyle", "seed": SEED_003, "sender": "community-plan@example.org",
                  "mailbox": "community-replies@example.org"},
}


class Inbox:
    """aiosmtpd handler: every message one real SMTP server accepts, with its envelope."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 2.0.0 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _config(folder: Path, port: int) -> Path:
    lines = [f'directory = "{EXAMPLE / "directory.toml"}"', f'governance = "{EXAMPLE / "governance.toml"}"', "",
             "[mail]", 'transport = "outbox"', 'from_address = "shared@example.org"', ""]
    for key, p in PLANS.items():
        lines += ["[[plans]]", f'key = "{key}"', f'title = "{p["title"]}"', f'partnership = "{p["partnership"]}"',
                  f'secretary = "{p["secretary"]}"', f'business_manager = "{p["secretary"]}"',
                  f'mailbox = "{p["mailbox"]}"', "",
                  "[plans.mail]", 'transport = "smtp"', f'from_address = "{p["sender"]}"',
                  f'from_name = "{p["partnership"]}"', "",
                  "[plans.mail.smtp]", 'host = "127.0.0.1"', f"port = {port}", ""]
    path = folder / "planwarden.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture
def service(tmp_path: Path, db_url: str, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch) -> Inbox:
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(_config(tmp_path, smtp[1])))
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", db_url)
    for key, p in PLANS.items():
        assert main(["import", str(seed_path(p["seed"])), "--plan", key]) == 0
    return smtp[0]


def _actions(key: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert main(["actions", "--plan", key, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    return out["actions"] if isinstance(out, dict) else out


def test_each_partnership_mails_through_its_own_sender_and_only_its_own_data(
        service: Inbox, capsys: pytest.CaptureFixture[str]) -> None:
    from planwarden.core.config import load_config

    texts = {key: {a["text"] for a in _actions(key, capsys)} for key in PLANS}
    assert texts["children"] and texts["community"] and not texts["children"] & texts["community"]
    assert main(["remind", "--today", "2023-02-08"]) == 0

    by_sender: dict[str, list[email.message.EmailMessage]] = {}
    for mail_from, _rcpt, msg in service.received:
        assert mail_from == msg["From"].addresses[0].addr_spec, "envelope and From agree"
        by_sender.setdefault(mail_from, []).append(msg)
    assert set(by_sender) == {p["sender"] for p in PLANS.values()}, "both partnerships sent, nobody else"
    for key, p in PLANS.items():
        other = PLANS["community" if key == "children" else "children"]
        for msg in by_sender[p["sender"]]:
            body = msg.get_body(("plain",)).get_content()
            assert msg["Reply-To"].addresses[0].addr_spec == p["mailbox"]
            assert f"planwarden {key}" in msg["Subject"]
            for leak in (other["sender"], other["mailbox"], other["title"], other["partnership"]):
                assert leak not in msg.as_string(), f"{key}'s mail mentions {leak}"
            assert not any(t[:60] in body for t in texts["community" if key == "children" else "children"]
                           if len(t) > 40)
    assert not list(load_config().mail_dir("outbox").glob("*.eml")), "nothing went through the shared transport"


def test_status_lists_every_partnership_apart(service: Inbox, capsys: pytest.CaptureFixture[str]) -> None:
    counts = {key: len(_actions(key, capsys)) for key in PLANS}
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    rows = rows["plans"] if isinstance(rows, dict) else rows
    assert {r["plan"]: r["actions"] for r in rows} == counts


def test_metrics_count_each_partnership_apart(service: Inbox) -> None:
    """`/metrics` over a real ASGI round trip (httpx): per plan and state, runs per flow."""
    import asyncio
    import re

    import httpx

    from planwarden.core.config import load_config
    from planwarden.orchestration.metrics import CONTENT_TYPE, app

    from planwarden.orchestration.runs import recorded_run

    assert main(["remind", "--today", "2023-02-08", "--plan", "children"]) == 0
    sent = len(service.received)
    with recorded_run(load_config().database_url, "children", "reminders"):
        pass
    with pytest.raises(RuntimeError), recorded_run(load_config().database_url, "community", "replies"):
        raise RuntimeError("the mailbox was unreachable")

    async def scrape() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app(load_config()))
        async with httpx.AsyncClient(transport=transport, base_url="http://metrics") as client:
            return await client.get("/metrics"), await client.get("/other")

    page, missing = asyncio.run(scrape())
    assert page.status_code == 200 and page.headers["content-type"] == CONTENT_TYPE and missing.status_code == 404
    samples = dict(re.findall(r"^(planwarden_\S+) (\S+)$", page.text, re.M))
    assert samples['planwarden_outbox_messages{plan="children",state="sent"}'] == str(sent) and sent > 0
    assert samples['planwarden_outbox_messages{plan="community",state="sent"}'] == "0"
    assert "# TYPE planwarden_quarantined_replies gauge" in page.text
    assert 'planwarden_flow_last_success_timestamp_seconds{plan="children",flow="reminders"}' in samples
    assert 'planwarden_flow_last_run_timestamp_seconds{plan="community",flow="replies"}' in samples
    assert 'planwarden_flow_last_success_timestamp_seconds{plan="community",flow="replies"}' not in samples
