"""SMTP delivery against a real aiosmtpd server on loopback, including the faults."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import os
import signal
import ssl
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import func, select

from planwarden.core.clock import FixedClock
from planwarden.core.config import SmtpSettings
from planwarden.core.db import session_factory, session_scope
from planwarden.mail.compose import Draft, build
from planwarden.mail.delivery import deliver_pending
from planwarden.mail.outbox import enqueue
from planwarden.mail.smtp import SmtpTransport
from planwarden.mail.transport import OutgoingMail, TransportUnavailable
from planwarden.plan.models import OutboxMessage
from servers import free_port

REPO = Path(__file__).resolve().parents[1]


class Recorder:
    """An aiosmtpd handler that keeps what it receives and can be told to misbehave."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes, Any]] = []
        self.refuse: dict[str, str] = {}  # recipient -> reply
        self.mail_421_after: int | None = None  # answer 421 to MAIL once this many were accepted …
        self.mail_421_times = 1  # … this many times
        self.delay = 0.0

    @property
    def message_ids(self) -> list[str]:
        return [email.message_from_bytes(raw)["Message-ID"] for _, _, raw, _ in self.messages]

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.mail_421_after is not None and len(self.messages) >= self.mail_421_after and self.mail_421_times:
            self.mail_421_times -= 1
            return "421 4.3.2 Service shutting down, closing transmission channel"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address in self.refuse:
            return self.refuse[address]
        if "@" not in address:
            return "501 5.1.3 Bad recipient address syntax"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or
                              envelope.content, session.peer))
        return "250 2.0.0 Message accepted"


@pytest.fixture
def smtpd() -> Iterator[tuple[Recorder, int]]:
    handler = Recorder()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def settings(port: int, **kw: Any) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, timeout=5, **kw)


def queue(url: str, recipients: list[list[str]]) -> list[int]:
    with session_scope(url) as session:
        return [enqueue(session, Draft(sender="planwarden@example.org", to=to, subject=f"Reminder {i}",
                                       text=f"Action {i} is due.\n" * 20),
                        kind="reminder", dedupe_key=f"r{i}", plan_key="jtai").id
                for i, to in enumerate(recipients)]


def states(url: str) -> dict[int, OutboxMessage]:
    with session_scope(url) as session:
        return {r.id: r for r in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))}


def test_a_batch_goes_over_one_connection(db_url: str, clock: FixedClock, smtpd: tuple[Recorder, int]) -> None:
    handler, port = smtpd
    ids = queue(db_url, [[f"owner{i}@example.org"] for i in range(5)])
    stats = deliver_pending(session_factory(db_url), SmtpTransport(settings(port)))
    assert stats.sent == 5
    assert len({peer for *_, peer in handler.messages}) == 1, "one connection for the batch"
    rows = states(db_url)
    assert handler.message_ids == [rows[i].message_id for i in ids]
    assert [rcpts for _, rcpts, _, _ in handler.messages] == [[f"owner{i}@example.org"] for i in range(5)]


def test_server_refusing_connections_marks_nothing_sent_and_the_next_run_sends_all(
        db_url: str, clock: FixedClock) -> None:
    port = free_port()  # nothing listens here yet
    ids = queue(db_url, [[f"o{i}@example.org"] for i in range(4)])
    stats = deliver_pending(session_factory(db_url), SmtpTransport(settings(port)))
    assert stats.sent == 0 and stats.unavailable and "cannot reach SMTP server" in stats.unavailable
    assert all(r.state != "sent" and r.attempts == 0 for r in states(db_url).values())
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        stats = deliver_pending(session_factory(db_url), SmtpTransport(settings(port)))
    finally:
        controller.stop()
    assert stats.sent == 4 and sorted(handler.message_ids) == sorted(states(db_url)[i].message_id for i in ids)


def test_a_421_mid_batch_reconnects_once_and_carries_on(db_url: str, clock: FixedClock,
                                                        smtpd: tuple[Recorder, int]) -> None:
    handler, port = smtpd
    handler.mail_421_after = 2
    queue(db_url, [[f"o{i}@example.org"] for i in range(5)])
    stats = deliver_pending(session_factory(db_url), SmtpTransport(settings(port)))
    assert stats.sent == 5 and len(handler.messages) == 5
    assert len({peer for *_, peer in handler.messages}) == 2


def test_a_421_that_persists_leaves_the_rest_for_retry(db_url: str, clock: FixedClock,
                                                       smtpd: tuple[Recorder, int]) -> None:
    handler, port = smtpd
    handler.mail_421_after, handler.mail_421_times = 2, 2
    ids = queue(db_url, [[f"o{i}@example.org"] for i in range(5)])
    stats = deliver_pending(session_factory(db_url), SmtpTransport(settings(port)))
    assert (stats.sent, stats.retried) == (2, 3)
    rows = states(db_url)
    assert [rows[i].state for i in ids] == ["sent", "sent", "retry", "retry", "retry"]
    assert "421" in (rows[ids[2]].last_error or "")
    clock.advance(minutes=1)
    stats = deliver_pending(session_factory(db_url), SmtpTransport(settings(port)))
    assert stats.sent == 3 and Counter(handler.message_ids) == Counter(rows[i].message_id for i in ids)


def test_550_for_one_recipient_the_others_still_get_it(db_url: str, clock: FixedClock,
                                                       smtpd: tuple[Recorder, int]) -> None:
    handler, port = smtpd
    handler.refuse["left@example.org"] = "550 5.1.1 <left@example.org>: Recipient address rejected"
    [oid] = queue(db_url, [["a@example.org", "left@example.org", "b@example.org"]])
    stats = deliver_pending(session_factory(db_url), SmtpTransport(settings(port)))
    assert stats.sent == 1
    assert handler.messages[0][1] == ["a@example.org", "b@example.org"]
    row = states(db_url)[oid]
    assert row.state == "sent" and list(row.refused) == ["left@example.org"]
    assert row.refused["left@example.org"].startswith("550 5.1.1")


def test_an_owner_with_an_invalid_address_fails_and_the_rest_of_the_batch_goes(
        db_url: str, clock: FixedClock, smtpd: tuple[Recorder, int]) -> None:
    handler, port = smtpd
    handler.refuse["gone@example.org"] = "550 5.1.1 User unknown"
    ids = queue(db_url, [["a@example.org"], ["pat.jones-at-example.org"], ["gone@example.org"], ["b@example.org"]])
    stats = deliver_pending(session_factory(db_url), SmtpTransport(settings(port)))
    assert (stats.sent, stats.failed, stats.retried) == (2, 2, 0)
    rows = states(db_url)
    assert [rows[i].state for i in ids] == ["sent", "failed", "failed", "sent"]
    assert "501 5.1.3" in (rows[ids[1]].last_error or "") and "550 5.1.1" in (rows[ids[2]].last_error or "")
    assert len(handler.messages) == 2


def test_a_4xx_recipient_is_retried(db_url: str, clock: FixedClock, smtpd: tuple[Recorder, int]) -> None:
    handler, port = smtpd
    handler.refuse["busy@example.org"] = "450 4.2.1 Mailbox busy"
    [oid] = queue(db_url, [["busy@example.org"]])
    stats = deliver_pending(session_factory(db_url), SmtpTransport(settings(port)))
    assert stats.retried == 1 and states(db_url)[oid].state == "retry"


# ---------------------------------------------------------------------- TLS and login


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    start = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(start).not_valid_after(start + dt.timedelta(days=36500))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _mail() -> OutgoingMail:
    draft = Draft(sender="planwarden@example.org", to=["a@example.org"], subject="Hi", text="Hello")
    return OutgoingMail(1, "<m1@example.org>", draft.sender, ("a@example.org",),
                        build(draft, "<m1@example.org>").as_bytes())


def _auth(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"planwarden", b"s3cret")
    return AuthResult(success=ok, handled=False)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_and_login_with_credentials_from_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, security: str) -> None:
    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(cert))
    handler, port = Recorder(), free_port()
    kw: dict[str, Any] = {"authenticator": _auth, "auth_required": True}
    if security == "ssl":
        controller = Controller(handler, hostname="127.0.0.1", port=port, ssl_context=server_ctx,
                                auth_require_tls=False, **kw)
    else:
        controller = Controller(handler, hostname="127.0.0.1", port=port, tls_context=server_ctx,
                                require_starttls=True, **kw)
    controller.start()
    try:
        monkeypatch.setenv("T_SMTP_USER", "planwarden")
        monkeypatch.setenv("T_SMTP_PASS", "s3cret")
        s = settings(port, security=security, username_env="T_SMTP_USER", password_env="T_SMTP_PASS")
        assert SmtpTransport(s, ssl_context=client_ctx).send([_mail()])[0].outcome == "sent"
        monkeypatch.setenv("T_SMTP_PASS", "wrong")
        with pytest.raises(TransportUnavailable, match="login") as info:
            SmtpTransport(s, ssl_context=client_ctx).send([_mail()])
        assert "wrong" not in str(info.value)
        monkeypatch.delenv("T_SMTP_PASS")
        with pytest.raises(TransportUnavailable, match="T_SMTP_PASS"):
            SmtpTransport(s, ssl_context=client_ctx).send([_mail()])
    finally:
        controller.stop()
    assert len(handler.messages) == 1


# ---------------------------------------------------------------------- kill -9

DELIVER = """
import sys
from planwarden.core.db import session_factory
from planwarden.core.config import SmtpSettings
from planwarden.mail.delivery import deliver_pending
from planwarden.mail.smtp import SmtpTransport
url, port = sys.argv[1], int(sys.argv[2])
print("started", flush=True)
deliver_pending(session_factory(url), SmtpTransport(SmtpSettings(host="127.0.0.1", port=port)), batch_size=50)
"""


@pytest.mark.slow
def test_kill_9_during_a_large_batch_then_rerun_loses_nothing_and_repeats_at_most_one(
        db_url: str, clock: FixedClock, smtpd: tuple[Recorder, int], tmp_path: Path) -> None:
    handler, port = smtpd
    handler.delay = 0.01
    ids = queue(db_url, [[f"owner{i}@example.org"] for i in range(300)])
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", DELIVER, db_url, str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(handler.messages) < 80 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    arrived_before = len(handler.messages)
    assert 80 <= arrived_before < 300
    with session_scope(db_url) as session:
        counts = dict(session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())
        lease_end = session.scalar(select(func.max(OutboxMessage.next_attempt_at)))
    assert counts.get("sending", 0) > 0 and counts.get("sent", 0) >= arrived_before - 1
    # The rerun comes after the lease on the killed run's claims has run out.
    clock.set(lease_end + dt.timedelta(seconds=1))
    handler.delay = 0
    stats = deliver_pending(session_factory(db_url), SmtpTransport(settings(port)), batch_size=50)
    rows = states(db_url)
    assert all(r.state == "sent" for r in rows.values())
    got = Counter(handler.message_ids)
    assert set(got) == {rows[i].message_id for i in ids}, "no reminder missing"
    assert sum(n - 1 for n in got.values()) <= 1, "at most the one in flight repeated"
    assert stats.sent == 300 - counts.get("sent", 0)
