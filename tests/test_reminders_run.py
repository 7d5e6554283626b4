"""The reminder run against a real store: record + queue in one transaction, deliver,
faults and bad input (invalid/failing/removed owners, 2103, clock changes, overlaps)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from planwarden.core import clock as clock_module
from planwarden.core.clock import FixedClock, at_local
from planwarden.core.config import (Config, DirectoryConfig, GovernanceConfig, GroupConfig, MailSettings, PersonConfig,
                               PlanConfig, ReminderSettings, Settings)
from planwarden.core.db import session_factory, session_scope
from planwarden.plan.directory import Directory
from planwarden.importing.parsed import ParsedAction, ParsedArea, ParsedPlan, ParsedSection
from planwarden.plan.models import OutboxMessage, Person
from planwarden.reminders import run as run_module
from planwarden.reminders.models import ReminderLog
from planwarden.reminders.run import remind_plan, run_reminders, runs_json
from planwarden.importing.writer import PlanWriter

D = dt.date
PEOPLE = [
    PersonConfig(id="pat", name="Pat Jones", email="pat.jones@example.org", deputies=["sam"]),
    PersonConfig(id="sam", name="Sam Lee", email="sam.lee@example.org"),
    PersonConfig(id="chris", name="Chris Chair", email="chris.chair@example.org"),
    PersonConfig(id="dana", name="Dana Doe", email="dana.doe@example.org"),
    PersonConfig(id="rachel", name="Rachel Hughes", email="rachel.hughes@example.org"),
    PersonConfig(id="bm", name="Bea Manager", email="bea.manager@example.org"),
]
GROUPS = [GroupConfig(name="Exploitation Subgroup", chair="chris", contacts=["dana"])]


def make_config(url: str, tmp_path: Path, people: list[PersonConfig] | None = None,
                reminders: ReminderSettings | None = None) -> Config:
    plan = PlanConfig(key="t", title="Test plan", partnership="Test partnership", secretary="rachel",
                      business_manager="bm", mailbox="plan@example.org",
                      reminders=reminders or ReminderSettings())
    settings = Settings(database_url=url, data_dir=str(tmp_path / "data"), plans=[plan],
                        mail=MailSettings(from_address="plan@example.org", from_name="Test plan",
                                          outbox_dir=str(tmp_path / "outbox")))
    return Config(settings, DirectoryConfig(people=people or PEOPLE, groups=GROUPS), GovernanceConfig(), None)


def action(ref: str, owner: str, due: dt.date | None, rag: str | None = "amber", text: str = "") -> ParsedAction:
    return ParsedAction(ref, text or f"Action {ref}.", owner, due.isoformat() if due else "TBD", due, [], rag,
                        f"Progress on {ref}.", "1", "1.1")


def store(url: str, config: Config, actions: list[ParsedAction]) -> None:
    parsed = ParsedPlan(title="Test plan", update_date=D(2022, 12, 14),
                        sections=[ParsedSection("1", "One", [ParsedArea("1.1", "Area")])], actions=actions)
    with session_scope(url) as session:
        PlanWriter(session, config.plan("t"), Directory(config.directory), actor="test", source="import",
                   source_ref="t").write(parsed)


def remind(config: Config, day: dt.date, **kw: Any) -> dict[str, Any]:
    previous = clock_module.set_clock(FixedClock(at_local(day, "Europe/London")))
    try:
        runs = run_reminders(config, today=day, **kw)
    finally:
        clock_module.set_clock(previous)
    return runs_json(config, runs, day)


def summary(report: dict[str, Any]) -> list[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]]:
    return [(tuple(m["to"]), tuple(m["cc"]), tuple(f"{i['ref']}:{i['kind']}" for i in m["items"]))
            for m in report["messages"]]


def one_email_each(report: dict[str, Any]) -> None:
    everyone = [a for m in report["messages"] for a in [*m["to"], *m["cc"]]]
    assert len(everyone) == len(set(everyone)), everyone


def test_digest_per_owner_recorded_queued_delivered_and_never_twice(db_url: str, tmp_path: Path,
                                                                     clock: FixedClock) -> None:
    config = make_config(db_url, tmp_path)
    store(db_url, config, [action("1.1a", "Pat Jones", D(2023, 1, 17)),        # d−3 = Sat 14 -> Fri 13
                           action("1.1b", "Pat Jones", D(2022, 12, 31), "red"),  # overdue (first working day after: 3 Jan)
                           action("1.1c", "Pat Jones", D(2023, 1, 13), "green"),
                           action("1.1d", "Exploitation Subgroup", D(2023, 1, 13))])
    report = remind(config, D(2023, 1, 13))
    assert report["today"] == "2023-01-13"
    assert summary(report) == [(("dana.doe@example.org",), (), ("1.1d:due",)),
                               (("pat.jones@example.org",), (), ("1.1a:ahead", "1.1b:overdue"))]
    message = report["messages"][1]
    assert set(message) == {"to", "cc", "subject", "message_id", "items", "eml"}
    assert message["subject"].startswith("[planwarden t 1.1a 1.1b] Reminder: 2 actions need your update (1 overdue)")
    raw = Path(message["eml"]).read_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Message-ID"] == message["message_id"]
    assert parsed["Auto-Submitted"] == "auto-generated" and parsed["X-Auto-Response-Suppress"] == "All"
    assert parsed["Reply-To"] == "plan@example.org"
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    for needle in ("1.1a", "Tue 17 Jan 2023 (4 days left)", "13 days overdue", "Progress on 1.1b.", "rated Red",
                   "How to reply".upper(), "New date:"):
        assert needle in text
    assert "max-width:640px" in html and "<link" not in html and "<img" not in html
    with session_scope(db_url) as session:
        logged = session.execute(select(ReminderLog.ref, ReminderLog.kind, ReminderLog.message_ids)
                                 .order_by(ReminderLog.ref)).all()
        assert [(r, k) for r, k, _ in logged] == [("1.1a", "ahead"), ("1.1b", "overdue"), ("1.1d", "due")]
        assert logged[0][2] == [message["message_id"]]
        assert session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.state == "sent")) == 2
    assert remind(config, D(2023, 1, 13))["messages"] == []  # a second run on the same day sends nothing
    assert summary(remind(config, D(2023, 1, 14))) == []  # Saturday
    assert summary(remind(config, D(2023, 1, 16))) == [(("dana.doe@example.org",), (), ("1.1d:overdue",))]
    assert summary(remind(config, D(2023, 1, 17))) == [(("pat.jones@example.org",), (), ("1.1a:due",))]


def test_dry_run_renders_but_records_and_sends_nothing(sqlite_url: str, tmp_path: Path, clock: FixedClock) -> None:
    config = make_config(sqlite_url, tmp_path)
    store(sqlite_url, config, [action("1.1a", "Pat Jones", D(2023, 1, 13))])
    dry = remind(config, D(2023, 1, 13), dry_run=True)
    assert summary(dry) == [(("pat.jones@example.org",), (), ("1.1a:due",))] and "eml" not in dry["messages"][0]
    with session_scope(sqlite_url) as session:
        assert session.scalar(select(func.count()).select_from(ReminderLog)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert summary(remind(config, D(2023, 1, 13))) == summary(dry)


def test_escalation_copies_the_chair_or_the_business_manager(sqlite_url: str, tmp_path: Path,
                                                             clock: FixedClock) -> None:
    config = make_config(sqlite_url, tmp_path)
    store(sqlite_url, config, [action("2.1a", "Exploitation Subgroup", D(2022, 12, 20), "red"),
                               action("2.1b", "Sam Lee", D(2022, 12, 20), "red")])
    report = remind(config, D(2023, 1, 4))  # 15 days after d
    assert summary(report) == [
        (("dana.doe@example.org",), ("chris.chair@example.org",), ("2.1a:escalation",)),
        (("sam.lee@example.org",), ("bea.manager@example.org",), ("2.1b:escalation",))]
    one_email_each(report)


def test_an_escalation_contact_with_mail_of_their_own_gets_one_email(sqlite_url: str, tmp_path: Path,
                                                                      clock: FixedClock) -> None:
    config = make_config(sqlite_url, tmp_path)
    store(sqlite_url, config, [action("2.1a", "Sam Lee", D(2022, 12, 20), "red"),
                               action("2.1b", "Pat Jones", D(2022, 12, 20), "red"),
                               action("2.1c", "Bea Manager", D(2023, 1, 4))])
    report = remind(config, D(2023, 1, 4))
    one_email_each(report)
    assert summary(report) == [
        (("bea.manager@example.org",), (), ("2.1a:escalation", "2.1b:escalation", "2.1c:due")),
        (("pat.jones@example.org",), (), ("2.1b:escalation",)),
        (("sam.lee@example.org",), (), ("2.1a:escalation",))]


def test_no_due_date_goes_to_owner_and_secretary_once_a_month(sqlite_url: str, tmp_path: Path,
                                                               clock: FixedClock) -> None:
    config = make_config(sqlite_url, tmp_path)
    store(sqlite_url, config, [action("3.1a", "Pat Jones", None)])
    expected = [(("pat.jones@example.org",), (), ("3.1a:no-due-date",)),
                (("rachel.hughes@example.org",), (), ("3.1a:no-due-date",))]
    assert summary(remind(config, D(2023, 1, 3))) == expected
    for day in (D(2023, 1, 4), D(2023, 1, 31)):
        assert remind(config, day)["messages"] == []
    assert summary(remind(config, D(2023, 2, 1))) == expected


def test_unresolved_invalid_failing_away_and_removed_owners(sqlite_url: str, tmp_path: Path,
                                                            clock: FixedClock) -> None:
    people = [*PEOPLE, PersonConfig(id="ivy", name="Ivy Invalid", email="ivy@example"),
              PersonConfig(id="fred", name="Fred Failing", email="fred@example.org"),
              PersonConfig(id="gone", name="Gordon Gone", email="gordon@example.org")]
    config = make_config(sqlite_url, tmp_path, people=people)
    store(sqlite_url, config, [action("4.1a", "Head of Nowhere", D(2023, 1, 13)),
                               action("4.1b", "Ivy Invalid", D(2023, 1, 13)),
                               action("4.1c", "Fred Failing", D(2023, 1, 13)),
                               action("4.1d", "Pat Jones", D(2023, 1, 13)),
                               action("4.1e", "Gordon Gone", D(2023, 1, 13))])
    with session_scope(sqlite_url) as session:
        fred = session.scalar(select(Person).where(Person.key == "fred"))
        fred.failing_since, fred.failing_reason = dt.datetime(2023, 1, 5, tzinfo=dt.timezone.utc), "550 no such user"
        pat = session.scalar(select(Person).where(Person.key == "pat"))
        pat.away_until = D(2023, 1, 20)
    config = make_config(sqlite_url, tmp_path, people=[p for p in people if p.id != "gone"])  # removed
    report = remind(config, D(2023, 1, 13))
    one_email_each(report)
    assert summary(report) == [
        (("rachel.hughes@example.org",), (), ("4.1a:due", "4.1b:due", "4.1c:due", "4.1e:due")),
        (("sam.lee@example.org",), (), ("4.1d:due",))]
    by_to = {m["to"][0]: Path(m["eml"]) for m in report["messages"]}
    secretary = _text(by_to["rachel.hughes@example.org"])
    assert "\u201cHead of Nowhere\u201d is not in the directory" in secretary
    assert "Ivy Invalid's address \u201civy@example\u201d is not a valid email address" in secretary
    assert "Fred Failing's address fred@example.org is failing since 2023-01-05: 550 no such user" in secretary
    assert "Gordon Gone has been removed from the directory" in secretary
    assert "Pat Jones is away until 20 January 2023: sent to you as their deputy" in _text(by_to["sam.lee@example.org"])


def _text(path: Path) -> str:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return " ".join(msg.get_body(("plain",)).get_content().split())


def test_a_due_date_in_2103_sends_nothing_and_html_escapes_stored_text(sqlite_url: str, tmp_path: Path,
                                                                        clock: FixedClock) -> None:
    config = make_config(sqlite_url, tmp_path)
    store(sqlite_url, config, [action("5.1a", "Pat Jones", D(2103, 9, 30)),
                               action("5.1b", "Pat Jones", D(2023, 1, 13), text="<script>alert(1)</script> & co")])
    report = remind(config, D(2023, 1, 13))
    assert summary(report) == [(("pat.jones@example.org",), (), ("5.1b:due",))]
    msg = email.message_from_bytes(Path(report["messages"][0]["eml"]).read_bytes(), policy=email.policy.default)
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    for day in (D(2023, 1, 16), D(2023, 6, 1), D(2024, 1, 2), D(2103, 9, 1)):
        assert all(i["ref"] != "5.1a" for m in remind(config, day)["messages"] for i in m["items"])
    assert [i["kind"] for m in remind(config, D(2103, 9, 14))["messages"] for i in m["items"]
            if i["ref"] == "5.1a"] == ["ahead"]


@pytest.mark.parametrize(("utc", "local_day", "sends"), [
    # BST starts 26 Mar 2023: 23:30 UTC Sunday is 00:30 Monday in London -> a working day
    (dt.datetime(2023, 3, 26, 23, 30), D(2023, 3, 27), True),
    (dt.datetime(2023, 3, 27, 7, 0), D(2023, 3, 27), True),   # the 08:00 BST cron run
    # BST until 29 Oct 2023: 23:30 UTC Friday is 00:30 Saturday in London -> nothing
    (dt.datetime(2023, 10, 27, 23, 30), D(2023, 10, 28), False),
    (dt.datetime(2023, 10, 30, 8, 0), D(2023, 10, 30), True),  # the 08:00 GMT cron run after the change
])
def test_today_is_the_local_date_across_clock_changes(sqlite_url: str, tmp_path: Path, utc: dt.datetime,
                                                      local_day: dt.date, sends: bool) -> None:
    config = make_config(sqlite_url, tmp_path)
    store(sqlite_url, config, [action("6.1a", "Pat Jones", None)])
    previous = clock_module.set_clock(FixedClock(utc.replace(tzinfo=dt.timezone.utc)))
    try:
        runs = run_reminders(config)
    finally:
        clock_module.set_clock(previous)
    assert runs[0].today == local_day
    assert bool(runs[0].messages) is sends


def test_delivery_failures_are_told_to_the_secretary_once(sqlite_url: str, tmp_path: Path, clock: FixedClock) -> None:
    config = make_config(sqlite_url, tmp_path)
    store(sqlite_url, config, [action("7.1a", "Pat Jones", D(2023, 1, 27))])
    remind(config, D(2023, 1, 13))  # d−14
    with session_scope(sqlite_url) as session:
        row = session.scalar(select(OutboxMessage))
        row.state, row.last_error = "failed", "550 5.1.1 mailbox unavailable"
    assert remind(config, D(2023, 1, 14))["messages"] == []  # Saturday: nothing, the report waits
    report = remind(config, D(2023, 1, 16))
    assert summary(report) == [(("rachel.hughes@example.org",), (), ())]
    text = _text(Path(report["messages"][0]["eml"]))
    assert "UNDELIVERED MAIL" in text and "550 5.1.1 mailbox unavailable" in text and "pat.jones@example.org" in text
    assert remind(config, D(2023, 1, 16))["messages"] == []
    assert summary(remind(config, D(2023, 1, 24))) == [(("pat.jones@example.org",), (), ("7.1a:ahead",))]


def test_overlapping_runs_on_postgres_roll_back_the_loser(pg_url: str, tmp_path: Path, clock: FixedClock,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Both runs compute before either records: the loser's insert waits, then fails on
    the unique key; its transaction (outbox rows included) rolls back and it recomputes."""
    config = make_config(pg_url, tmp_path)
    store(pg_url, config, [action(f"8.{i}a", "Pat Jones" if i % 2 else "Sam Lee", D(2023, 1, 13)) for i in range(6)])
    barrier = threading.Barrier(2, timeout=30)
    real_record = run_module.record
    calls = {"n": 0}

    def record_after_both_computed(session: Any, run: Any) -> None:
        calls["n"] += 1
        if calls["n"] <= 2:
            barrier.wait()
        real_record(session, run)

    monkeypatch.setattr(run_module, "record", record_after_both_computed)
    sessions = session_factory(pg_url)
    results: list[Any] = []
    errors: list[BaseException] = []

    def go() -> None:
        try:
            results.append(remind_plan(sessions, config, config.plan("t"), D(2023, 1, 13)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    winner, loser = sorted(results, key=lambda r: r.conflicts)
    assert (winner.conflicts, loser.conflicts) == (0, 1)
    assert len(winner.messages) == 2 and loser.messages == [] and loser.reminders == []
    with session_scope(pg_url) as session:
        assert session.scalar(select(func.count()).select_from(ReminderLog)) == 6
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_two_remind_processes_at_once_send_each_reminder_once(pg_url: str, tmp_path: Path, clock: FixedClock,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    import os
    import subprocess
    import sys

    example = Path(__file__).resolve().parents[1] / "config" / "examples" / "jtai"
    env = {**os.environ, "PLANWARDEN_CONFIG": str(example / "planwarden.toml"), "PLANWARDEN_DATABASE_URL": pg_url,
           "PLANWARDEN_HOME": str(tmp_path / "home")}
    cli = [str(Path(sys.executable).parent / "planwarden")]
    subprocess.run([*cli, "import", str(example / "plan" / "000_3a816ad8139d38e0.txt"), "--plan", "jtai"],
                   env=env, check=True, capture_output=True)
    procs = [subprocess.Popen([*cli, "remind", "--today", "2023-02-08", "--json"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(2)]
    outs = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    sent = [(m["to"][0], i["ref"]) for o in outs for m in o["messages"] for i in m["items"]]
    assert sent and len(sent) == len(set(sent))
    with session_scope(pg_url) as session:
        logged = session.execute(select(ReminderLog.action_id, ReminderLog.stage)).all()
        queued = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert len(logged) == len(set(logged))
    assert queued == sum(len(o["messages"]) for o in outs)
