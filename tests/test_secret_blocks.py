"""Mail credentials from Prefect Secret blocks: saved on a real (test) Prefect server,
loaded when the flow run starts, used to log in to a real aiosmtpd server with AUTH;
a missing block stops the run naming the key and the block; the value is never shown."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from conftest import EXAMPLE
from planwarden.cli import main
from planwarden.core.clock import FixedClock, at_local
from planwarden.core.config import ConfigError, load_config
from planwarden.mail.credentials import forget_block_values
from planwarden.orchestration.secrets import load_secret_blocks, secret_blocks
from seeds import SEED_000, seed_path
from servers import free_port

PASSWORD = "7-pw-from-the-block"  # distinctive, so a leak into a log or error is caught
USER = "children-sender"


class Inbox:
    def __init__(self) -> None:
        self.received: list[tuple[str, list[str]]] = []
        self.logins: list[tuple[bytes, bool]] = []

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (USER.encode(), PASSWORD.encode())
        self.logins.append((getattr(data, "login", b""), ok))
        return AuthResult(success=ok, handled=False)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 Message accepted"


@pytest.fixture
def smtp_auth() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=inbox.authenticate,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    forget_block_values()
    yield
    forget_block_values()


def _config(folder: Path, port: int, password_block: str) -> Path:
    text = f"""directory = "{EXAMPLE / 'directory.toml'}"

[mail]
transport = "outbox"
from_address = "shared@example.org"

[[plans]]
key = "children"
title = "JTAI Action Plan"
secretary = "rachel.hughes"
business_manager = "rachel.hughes"
mailbox = "children-replies@example.org"

[plans.mail]
transport = "smtp"
from_address = "children-plan@example.org"

[plans.mail.smtp]
host = "127.0.0.1"
port = {port}
username_block = "children-smtp-user"
password_block = "{password_block}"
"""
    path = folder / "planwarden.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_blocks_a_plan_names_are_listed_with_their_keys(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, 25, "children-smtp-password"))
    assert secret_blocks(config) == [("plans.0.mail.smtp.username_block", "children-smtp-user"),
                                     ("plans.0.mail.smtp.password_block", "children-smtp-password")]
    assert secret_blocks(config, ["another-plan"]) == []  # a run for another plan needs none of them


def test_a_block_holding_no_text_stops_the_start_naming_key_and_block(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, 25, "children-smtp-password"))
    values = {"children-smtp-user": USER, "children-smtp-password": {"not": "text"}}
    with pytest.raises(ConfigError) as info:
        load_secret_blocks(config, load=values.__getitem__)
    assert info.value.key == "plans.0.mail.smtp.password_block"
    assert "'children-smtp-password'" in info.value.reason and "no text" in info.value.reason


@pytest.fixture
def children(tmp_path: Path, sqlite_url: str, smtp_auth: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch,
             clock: FixedClock) -> tuple[Inbox, Path]:
    config = _config(tmp_path, smtp_auth[1], "children-smtp-password")
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(config))
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    assert main(["import", str(seed_path(SEED_000)), "--plan", "children"]) == 0
    clock.set(at_local(dt.date(2023, 2, 8), "Europe/London"))
    return smtp_auth[0], config


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_reminders_log_in_with_the_password_from_a_prefect_secret_block(
        children: tuple[Inbox, Path], prefect_harness: None, caplog: pytest.LogCaptureFixture) -> None:
    from prefect.blocks.system import Secret

    from planwarden.orchestration.flows.daily_reminders import daily_reminders

    inbox, _ = children
    Secret(value=USER).save("children-smtp-user", overwrite=True)
    Secret(value=PASSWORD).save("children-smtp-password", overwrite=True)
    caplog.set_level(logging.DEBUG)
    result = daily_reminders(plan_key="children")
    messages = result["plans"][0]["messages"]
    assert messages > 0 and result["delivered"]["sent"] == messages
    assert len(inbox.received) == messages
    assert {sender for sender, _ in inbox.received} == {"children-plan@example.org"}
    assert inbox.logins and all(ok for _, ok in inbox.logins)  # every connection logged in with the block's
    assert PASSWORD not in caplog.text and PASSWORD not in repr(result)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_missing_secret_block_stops_the_run_naming_key_and_block(
        children: tuple[Inbox, Path], prefect_harness: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from prefect.blocks.system import Secret

    from planwarden.orchestration.flows.daily_reminders import daily_reminders

    inbox, config = children
    Secret(value=USER).save("children-smtp-user", overwrite=True)
    config.write_text(config.read_text().replace('"children-smtp-password"', '"no-such-block"'))
    with pytest.raises(ConfigError) as info:
        daily_reminders(plan_key="children")
    assert info.value.key == "plans.0.mail.smtp.password_block"
    assert "no Prefect Secret block named 'no-such-block'" in info.value.reason
    assert inbox.received == [] and inbox.logins == []  # stopped before anything was queued or sent


def test_check_loads_the_blocks_and_names_a_missing_one(
        children: tuple[Inbox, Path], prefect_harness: None, capsys: pytest.CaptureFixture[str]) -> None:
    """`planwarden check` loads the blocks as a run would: the operator hears of a missing one
    before the first morning run, with the key and the block, and never sees a value."""
    from prefect.blocks.system import Secret

    _, config = children
    Secret(value=USER).save("children-smtp-user", overwrite=True)
    Secret(value=PASSWORD).save("children-smtp-password", overwrite=True)
    assert main(["check", "--no-mailbox", "--json"]) == 0
    out = capsys.readouterr().out
    assert "2 Prefect Secret block(s) loaded" in out and PASSWORD not in out
    config.write_text(config.read_text().replace('"children-smtp-password"', '"no-such-block"'))
    assert main(["check", "--no-mailbox"]) == 2
    err = capsys.readouterr().err
    assert "plans.0.mail.smtp.password_block" in err and "no-such-block" in err and PASSWORD not in err
