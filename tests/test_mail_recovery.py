"""Mail always goes out: after an outage, a 421 or a kill -9, the day's reminders arrive that day, once.

Real components: the reminders job on the jtai plan, the delivery task the flows end
with (``planwarden.orchestration.tasks.mail.deliver_outbox``, as the 5-minute outbox flow runs it) and a real SMTP
server (aiosmtpd) on loopback. Time moves only with the injected clock: each "tick" is
what the outbox flow does every five minutes; nobody runs anything by hand.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from planwarden.core.clock import FixedClock
from planwarden.core.config import load_config
from planwarden.core.db import session_factory
from planwarden.mail.delivery import MailUnavailable
from planwarden.plan.models import OutboxMessage
from planwarden.reminders.run import run_reminders
from replies_seed import seed
from servers import free_port
from test_smtp import Recorder

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "config" / "examples" / "jtai"
MORNING = dt.datetime(2022, 12, 14, 8, 0, tzinfo=dt.timezone.utc)  # Wednesday, 08:00 in London


class Smtp:
    """An aiosmtpd server that can be stopped and started on the same port."""

    def __init__(self) -> None:
        self.handler, self.port = Recorder(), free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(db_url: str, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Smtp]:
    server = Smtp()
    text = (EXAMPLE / "planwarden.toml").read_text()
    text = text.replace('directory = "directory.toml"', f'directory = "{EXAMPLE / "directory.toml"}"')
    text = text.replace('governance = "governance.toml"', f'governance = "{EXAMPLE / "governance.toml"}"')
    text = text.replace('transport = "outbox"', 'transport = "smtp"', 1)
    smtp_table = f'[mail.smtp]\nhost = "127.0.0.1"\nport = {server.port}\ntimeout = 5\n\n'
    config_file = tmp_path / "planwarden.toml"
    config_file.write_text(text.replace("\n[[plans]]\n", "\n" + smtp_table + "[[plans]]\n", 1))
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(config_file))
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", db_url)
    monkeypatch.setenv("PLANWARDEN_HOME", str(tmp_path))
    clock.set(MORNING)
    config = load_config()
    with session_factory(db_url).begin() as s:
        seed(s, config, reminders=[])
    yield server
    server.stop()


def tick(clock: FixedClock, minutes: int = 5) -> str | None:
    """What the outbox flow does every five minutes; returns why it failed, if it did."""
    from planwarden.orchestration.tasks.mail import deliver_outbox

    clock.advance(minutes=minutes)
    try:
        deliver_outbox.fn()
    except MailUnavailable as exc:
        return str(exc)
    return None


def reminders(url: str) -> list[OutboxMessage]:
    with session_factory(url)() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder")))


def arrived(server: Smtp) -> Counter[str]:
    return Counter(email.message_from_bytes(raw)["Message-ID"] for _, _, raw, _ in server.handler.messages)


def test_server_down_for_a_while_every_reminder_arrives_that_morning_once(smtp: Smtp, db_url: str,
                                                                           clock: FixedClock) -> None:
    runs = run_reminders(load_config())  # 08:00, the mail server is down
    assert runs[0].messages and runs[0].mail_unavailable
    queued = reminders(db_url)
    assert queued and all(r.state == "retry" and r.attempts == 0 for r in queued)
    assert tick(clock) and tick(clock)  # 08:05, 08:10: still down; the flow fails visibly
    smtp.start()  # back at about 08:12
    assert tick(clock) is None  # 08:15
    got = arrived(smtp)
    assert set(got) == {r.message_id for r in queued} and set(got.values()) == {1}
    assert all(r.state == "sent" and r.sent_at.date() == MORNING.date() for r in reminders(db_url))
    assert not any(b"could not be sent that day" in raw for _, _, raw, _ in smtp.handler.messages)
    assert tick(clock) is None and arrived(smtp) == got  # later ticks send nothing again


def test_remind_and_outbox_deliver_exit_3_while_the_server_is_down(smtp: Smtp, db_url: str, clock: FixedClock,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from planwarden.cli import main

    assert main(["remind", "--json"]) == 3
    out, err = capsys.readouterr()
    assert '"messages"' in out and err.count("\n") == 1 and "mail service could not be reached" in err
    assert main(["outbox", "--deliver"]) == 3 and "stays queued" in capsys.readouterr().err
    smtp.start()
    assert main(["outbox", "--deliver"]) == 0
    assert set(arrived(smtp)) == {r.message_id for r in reminders(db_url)}


def test_a_421_mid_batch_is_retried_by_the_next_tick(smtp: Smtp, db_url: str, clock: FixedClock) -> None:
    smtp.start()
    smtp.handler.mail_421_after, smtp.handler.mail_421_times = 1, 3
    run_reminders(load_config())
    for _ in range(6):
        if all(r.state == "sent" for r in reminders(db_url)):
            break
        tick(clock)
    queued = reminders(db_url)
    assert len(queued) >= 2 and all(r.state == "sent" for r in queued)
    assert clock.now() < MORNING + dt.timedelta(hours=1)
    got = arrived(smtp)
    assert set(got) == {r.message_id for r in queued} and set(got.values()) == {1}


def test_down_all_day_goes_out_next_morning_saying_so_and_is_not_doubled(smtp: Smtp, db_url: str,
                                                                          clock: FixedClock) -> None:
    run_reminders(load_config())
    first = {r.message_id for r in reminders(db_url)}
    for _ in range(3):
        tick(clock, minutes=180)
    smtp.start()
    clock.set(MORNING + dt.timedelta(days=1))  # Thursday 08:00: the daily run, then delivery
    run_reminders(load_config())
    got = arrived(smtp)
    assert first <= set(got) and set(got.values()) == {1}
    late = [raw for _, _, raw, _ in smtp.handler.messages
            if email.message_from_bytes(raw)["Message-ID"] in first]
    for raw in late:
        body = email.message_from_bytes(raw, policy=email.policy.default).get_body(("plain",)).get_content()
        assert body.startswith("This reminder was written on Wednesday 14 December 2022 but could not be sent")
    with session_factory(db_url)() as s:  # the stored copy is the record: left as queued
        stored = s.scalars(select(OutboxMessage.raw).where(OutboxMessage.message_id.in_(first))).all()
    assert not any(b"could not be sent that day" in raw for raw in stored)
    second_day = [r for r in reminders(db_url) if r.message_id not in first]
    assert all(b"could not be sent that day" not in r.raw for r in second_day)


DELIVER = """
import datetime, sys
from planwarden.core import clock
from planwarden.core.db import session_factory
from planwarden.core.config import SmtpSettings
from planwarden.mail.delivery import deliver_pending
from planwarden.mail.smtp import SmtpTransport
url, port = sys.argv[1], int(sys.argv[2])
clock.set_clock(clock.FixedClock(datetime.datetime.fromisoformat(sys.argv[3])))  # the test's clock
deliver_pending(session_factory(url), SmtpTransport(SmtpSettings(host="127.0.0.1", port=port)), batch_size=1)
"""


def test_kill_9_mid_batch_the_ticks_finish_the_job_within_the_lease(smtp: Smtp, db_url: str,
                                                                     clock: FixedClock) -> None:
    smtp.start()
    smtp.handler.delay = 0.3
    run_reminders(load_config(), deliver_mail=False)
    queued = {r.message_id for r in reminders(db_url)}
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", DELIVER, db_url, str(smtp.port), clock.now().isoformat()], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    import time

    deadline = time.monotonic() + 60
    while not smtp.handler.messages and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    smtp.handler.delay = 0
    for _ in range(4):  # 08:05 … 08:20: the killed run's claims are taken again after the 10-minute lease
        tick(clock)
    assert all(r.state == "sent" for r in reminders(db_url))
    got = arrived(smtp)
    assert set(got) == queued, "every reminder arrived"
    assert sum(n - 1 for n in got.values()) <= 1, "at most the one in flight at the kill arrives twice"
