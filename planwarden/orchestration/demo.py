"""`planwarden demo`: the loop on embedded defaults (SQLite, outbox transport, jtai example).

It builds a fresh workspace in a folder and walks through the steps a partnership
would see, printing progress and where to look. Each step is a small function so
later features add theirs to ``STEPS``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any
from dataclasses import dataclass, field
from pathlib import Path

from planwarden.core import clock
from planwarden.core.config import Config, load_config

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config" / "examples" / "jtai"
SEED = EXAMPLE / "plan" / "000_3a816ad8139d38e0.txt"
MARKER = ".planwarden-demo"
PLAN = "jtai"


class DemoError(Exception):
    pass


@dataclass
class DemoContext:
    folder: Path
    config: Config
    say: Callable[[str], None]
    results: dict[str, object] = field(default_factory=dict)
    look_at: list[tuple[str, Path]] = field(default_factory=list)


def prepare(folder: Path) -> None:
    """A fresh workspace: only ever wipes a folder an earlier demo made."""
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MARKER).exists():
            raise DemoError(f"{folder} is not empty and was not made by `planwarden demo`; choose another --dir")
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("made by planwarden demo; safe to delete\n")
    os.environ["PLANWARDEN_CONFIG"] = str(EXAMPLE / "planwarden.toml")
    os.environ["PLANWARDEN_HOME"] = str(folder / "data")
    os.environ.pop("PLANWARDEN_DATABASE_URL", None)  # embedded defaults: SQLite in the folder


def step_import(ctx: DemoContext) -> None:
    from planwarden.core.db import session_scope
    from planwarden.importing import import_file

    with on_day(DEMO_START, hour=7), session_scope(ctx.config.database_url) as session:
        summary = import_file(session, ctx.config, SEED, PLAN)
    ctx.say(f"imported seed 000: {summary.created} actions, {len(summary.warnings)} warnings")
    ctx.results["import"] = summary.as_json()


def step_show(ctx: DemoContext) -> None:
    from planwarden.core.db import session_scope
    from planwarden.plan.export import export_plan
    from planwarden.plan.queries import actions_json

    with session_scope(ctx.config.database_url) as session:
        rows = actions_json(session, PLAN)
        out = ctx.folder / "jtai-plan.xlsx"
        export_plan(session, PLAN, out)
    counts = {rag: sum(1 for r in rows if r["rag"] == rag) for rag in ("green", "amber", "red", None)}
    ctx.say(f"plan {PLAN!r}: {len(rows)} actions — {counts['green']} green, {counts['amber']} amber, "
            f"{counts['red']} red, {counts[None]} unrated")
    ctx.look_at.append(("the plan as a spreadsheet", out))


DEMO_START = dt.date(2022, 12, 14)  # the plan's December 2022 update ("Date of progress updates")
REMINDER_DAYS = 15  # three weeks of weekdays, Christmas bank holidays included


@contextlib.contextmanager
def on_day(day: dt.date, hour: int = 8) -> Iterator[None]:
    """Run a step as if it were ``hour`` o'clock on ``day`` in London."""
    previous = clock.set_clock(clock.FixedClock(clock.at_local(day, "Europe/London", hour)))
    try:
        yield
    finally:
        clock.set_clock(previous)


def step_reminders(ctx: DemoContext) -> None:
    from planwarden.reminders.run import run_reminders

    day, runs, mails = DEMO_START, 0, 0
    while runs < REMINDER_DAYS:
        with on_day(day):
            done = run_reminders(ctx.config, plan_key=PLAN, today=day)
        sent = sum(len(r.messages) for r in done)
        if sent:
            ctx.say(f"  {day:%a %d %b}: {sent} reminder emails")
        mails += sent
        runs += day.weekday() < 5
        day += dt.timedelta(days=1)
    ctx.results["reminder_emails"] = mails
    ctx.results["last_reminder_day"] = day
    ctx.look_at.append(("reminders (.eml, open in any mail program)", ctx.config.mail_dir("outbox")))


REPLY_TEXTS = [  # what owners write back, by the first ref of a reminder they received
    "{ref} RAG: Green\n\nCompleted: agreed at the December meeting and shared with all partners on "
    "19 December.\n\nKind regards",
    "{ref} Amber - the work is drafted and goes to the board in January.\n\nNew date: 28 February 2023",
]


def _reply_eml(reminder: Any, owner: str, text: str, number: int) -> bytes:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["To"] = owner, reminder.sender
    msg["Subject"] = f"RE: {reminder.subject}"
    msg["Message-ID"] = f"<demo-reply-{number}@example.org>"
    msg["In-Reply-To"] = msg["References"] = reminder.message_id
    msg["Date"] = "Tue, 20 Dec 2022 10:1{0} +0000".format(number)
    msg.set_content(f"{text}\n\n-----Original Message-----\nFrom: planwarden\n(the reminder)\n")
    return msg.as_bytes()


def _reminders(session: Any, count: int) -> list[tuple[Any, str, str]]:
    """The first ``count`` reminders sent: (row, owner address, first ref)."""
    from sqlalchemy import select

    from planwarden.plan.models import OutboxMessage

    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder").order_by(OutboxMessage.id))
    return [(row, row.to[0], row.items[0]["ref"]) for row in rows if row.to and row.items][:count]


def step_replies(ctx: DemoContext) -> None:
    from planwarden.core.db import session_factory, session_scope
    from planwarden.mail.factory import mailbox_for
    from planwarden.reminders.run import deliver
    from planwarden.replies.collect import collect

    inbox = ctx.config.mail_dir("inbox")
    inbox.mkdir(parents=True, exist_ok=True)
    with session_scope(ctx.config.database_url) as session:
        for number, ((row, owner, ref), text) in enumerate(zip(_reminders(session, 2), REPLY_TEXTS), start=1):
            (inbox / f"reply-{number}-{ref}.eml").write_bytes(_reply_eml(row, owner, text.format(ref=ref), number))
    stranger = _reply_eml(_Stub(), "someone@elsewhere.example", "1.1a Green - all done!", 9)
    (inbox / "reply-9-stranger.eml").write_bytes(stranger)
    sessions = session_factory(ctx.config.database_url)
    with on_day(dt.date(2022, 12, 20), hour=10):
        report = collect(sessions, ctx.config, mailbox_for(ctx.config))
        deliver(sessions, ctx.config)
    for result in report.results:
        refs = ", ".join(f"{u['ref']} {u.get('rag') or ''}".strip() for u in result.updates)
        ctx.say(f"  {result.outcome}: {refs or result.reason}")
    ctx.results["replies"] = report.counts()
    ctx.look_at.append(("confirmations and the secretary's notices", ctx.config.mail_dir("outbox")))


class _Stub:
    """A reminder the stranger never received: nothing ties their mail to one."""

    sender, subject, message_id = "jtai-plan@example.org", "Action plan [planwarden jtai 1.1a]", "<none@x>"


def step_pack(ctx: DemoContext) -> None:
    from planwarden.core.db import session_scope
    from planwarden.mail.factory import deliver_queued
    from planwarden.pack import build as pack_build
    from planwarden.pack import deliver

    with on_day(dt.date(2023, 1, 3), hour=9), session_scope(ctx.config.database_url) as session:
        request = pack_build.request_for(session, ctx.config, PLAN, pack_build.parse_month("2022-12"))
        built = pack_build.build(session, ctx.config, request)
        sent = deliver.send(session, ctx.config, built)
    with on_day(dt.date(2023, 1, 3), hour=9):
        deliver_queued(ctx.config)
    pdf, docx = pack_build.export(built, ctx.folder / "pack")
    counts = built.as_json()["counts"]
    ctx.say(f"  December 2022 pack: {counts['green']} green, {counts['amber']} amber, {counts['red']} red; "
            f"sent to {', '.join(sent.to)}")
    ctx.look_at.append(("the December 2022 board pack (PDF)", pdf))
    ctx.look_at.append(("the same pack in Word", docx))


def step_calendar(ctx: DemoContext) -> None:
    from planwarden.calendar.service import deliver, run
    from planwarden.core.db import session_scope

    out = ctx.folder / "governance.ics"
    with on_day(DEMO_START), session_scope(ctx.config.database_url) as session:
        result = run(session, ctx.config, send=True, out=out, feed=ctx.folder / "governance-feed.ics")
    with on_day(DEMO_START):
        deliver(ctx.config)
    ctx.say(f"  {result.events} governance events; {len(result.sent)} invitations sent")
    ctx.look_at.append(("the governance calendar", out))


STEPS: list[tuple[str, Callable[[DemoContext], None]]] = [
    ("Import the JTAI plan (seed 000)", step_import),
    ("Show the plan", step_show),
    ("Daily reminders over three weeks of working days", step_reminders),
    ("Owners reply by email; replies are collected and confirmed", step_replies),
    ("The December 2022 board pack, built and sent to the secretary", step_pack),
    ("Governance calendar invites", step_calendar),
]


def run_demo(folder: Path, say: Callable[[str], None] = print) -> DemoContext:
    if not SEED.exists():
        raise DemoError(f"the example plan is missing: {SEED}")
    prepare(folder)
    ctx = DemoContext(folder, load_config(), say)
    say(f"planwarden demo in {folder} (SQLite, outbox transport, config/examples/jtai)")
    for number, (title, step) in enumerate(STEPS, start=1):
        say(f"[{number}/{len(STEPS)}] {title}")
        step(ctx)
    say("\nLook at:")
    for what, path in ctx.look_at:
        say(f"  {what}: {path}")
    return ctx
