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

import planwarden
from planwarden.core import clock
from planwarden.core.config import Config, load_config

EXAMPLE = planwarden.EXAMPLES / "jtai"
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
REMINDER_DAYS = 15  # three weeks of working days, Christmas bank holidays included
REPLY_DAY = dt.date(2022, 12, 20)  # owners' replies to the 14 December reminders are in the mailbox
PACK_DAY = dt.date(2023, 1, 3)  # the December pack goes to the secretary on the first working day after


@contextlib.contextmanager
def on_day(day: dt.date, hour: int = 8, minute: int = 0) -> Iterator[None]:
    """Run a step as if it were ``hour``:``minute`` on ``day`` in London."""
    at = clock.at_local(day, "Europe/London", hour) + dt.timedelta(minutes=minute)
    previous = clock.set_clock(clock.FixedClock(at))
    try:
        yield
    finally:
        clock.set_clock(previous)


def step_weeks(ctx: DemoContext) -> None:
    """The schedule's days in order, each as the deployed flows run it: read replies, then
    remind, then packs and invites. So nobody is chased about an action they have already
    reported done, and every email left in the outbox is one a real owner could receive."""
    day, working = DEMO_START, 0
    ctx.results.update(reminder_emails=0, replies=[])
    while working < REMINDER_DAYS:
        said = [part for part in (daily(ctx, day) for daily in DAILY) if part]
        if said:
            ctx.say(f"  {day:%a %d %b %Y}: " + "; ".join(said))
        working += day.weekday() < 5
        day += dt.timedelta(days=1)
    ctx.results["last_day"] = day - dt.timedelta(days=1)
    ctx.look_at.append(("every email sent (.eml, open in any mail program)", ctx.config.mail_dir("outbox")))


def read_replies(ctx: DemoContext, day: dt.date) -> str:
    """07:00: the collect flow reads the mailbox and confirms what it recorded."""
    from planwarden.core.db import session_factory
    from planwarden.mail.factory import deliver_queued, mailbox_for
    from planwarden.replies.collect import collect

    if day == REPLY_DAY:
        _owners_reply(ctx)
    sessions = session_factory(ctx.config.database_url)
    with on_day(day, hour=7):
        report = collect(sessions, ctx.config, mailbox_for(ctx.config))
        deliver_queued(ctx.config, sessions=sessions)
    ctx.results["replies"].extend(report.results)  # type: ignore[union-attr]
    if not report.results:
        return ""
    outcomes = ", ".join(f"{r.outcome} ({', '.join(u['ref'] for u in r.updates) or r.reason})"
                         for r in report.results)
    return f"{len(report.results)} replies read: {outcomes}"


def remind(ctx: DemoContext, day: dt.date) -> str:
    """08:00: the reminder flow (it delivers what it queues)."""
    from planwarden.reminders.run import run_reminders

    with on_day(day, hour=8):
        done = run_reminders(ctx.config, plan_key=PLAN, today=day)
    sent = sum(len(r.messages) for r in done)
    ctx.results["reminder_emails"] = int(ctx.results["reminder_emails"]) + sent  # type: ignore[call-overload]
    return f"{sent} reminder email{'s' if sent != 1 else ''}" if sent else ""


def board_pack(ctx: DemoContext, day: dt.date) -> str:
    """09:00 on the pack day: December's pack, built and sent to the secretary."""
    from planwarden.core.db import session_scope
    from planwarden.mail.factory import deliver_queued
    from planwarden.pack import build as pack_build
    from planwarden.pack import deliver

    if day != PACK_DAY:
        return ""
    with on_day(day, hour=9), session_scope(ctx.config.database_url) as session:
        request = pack_build.request_for(session, ctx.config, PLAN, pack_build.parse_month("2022-12"))
        built = pack_build.build(session, ctx.config, request)
        sent = deliver.send(session, ctx.config, built)
    with on_day(day, hour=9):
        deliver_queued(ctx.config)
    pdf, docx = pack_build.export(built, ctx.folder / "pack")
    counts = built.as_json()["counts"]
    ctx.look_at.append(("the December 2022 board pack (PDF)", pdf))
    ctx.look_at.append(("the same pack in Word", docx))
    return (f"December 2022 pack: {counts['green']} green, {counts['amber']} amber, {counts['red']} red; "
            f"sent to {', '.join(sent.to)}")


def invites(ctx: DemoContext, day: dt.date) -> str:
    """09:30: the calendar flow invites attendees to what changed (nothing, most days)."""
    from planwarden.calendar.service import run
    from planwarden.core.db import session_scope
    from planwarden.mail.factory import deliver_queued

    out = ctx.folder / "governance.ics"
    with on_day(day, hour=9, minute=30), session_scope(ctx.config.database_url) as session:
        result = run(session, ctx.config, send=True, out=out, feed=ctx.folder / "governance-feed.ics")
    if not result.sent:
        return ""
    with on_day(day, hour=9, minute=30):
        deliver_queued(ctx.config)
    if ("the governance calendar", out) not in ctx.look_at:
        ctx.look_at.append(("the governance calendar", out))
    return f"{len(result.sent)} calendar invitations ({result.events} governance events)"


DAILY: list[Callable[[DemoContext, dt.date], str]] = [read_replies, remind, board_pack, invites]


REPLY_TEXTS = [  # what owners write back, by the first ref of a reminder they received
    "{ref} RAG: Green\n\nCompleted: agreed at the December meeting and shared with all partners on "
    "19 December.\n\nKind regards",
    "{ref} Amber - the work is drafted and goes to the board in January.\n\nNew date: 28 February 2023",
]


def _owners_reply(ctx: DemoContext) -> None:
    """Two owners answer the first reminders they received; a stranger writes in too."""
    from planwarden.core.db import session_scope

    inbox = ctx.config.mail_dir("inbox")
    inbox.mkdir(parents=True, exist_ok=True)
    with session_scope(ctx.config.database_url) as session:
        for number, ((row, owner, ref), text) in enumerate(zip(_reminders(session, 2), REPLY_TEXTS), start=1):
            (inbox / f"reply-{number}-{ref}.eml").write_bytes(_reply_eml(row, owner, text.format(ref=ref), number))
    stranger = _reply_eml(_Stub(), "someone@elsewhere.example", "1.1a Green - all done!", 9)
    (inbox / "reply-9-stranger.eml").write_bytes(stranger)


def _reply_eml(reminder: Any, owner: str, text: str, number: int) -> bytes:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["To"] = owner, reminder.sender
    msg["Subject"] = f"RE: {reminder.subject}"
    msg["Message-ID"] = f"<demo-reply-{number}@example.org>"
    msg["In-Reply-To"] = msg["References"] = reminder.message_id
    msg["Date"] = "Mon, 19 Dec 2022 17:1{0} +0000".format(number)
    msg.set_content(f"{text}\n\n-----Original Message-----\nFrom: planwarden\n(the reminder)\n")
    return msg.as_bytes()


def _reminders(session: Any, count: int) -> list[tuple[Any, str, str]]:
    """The first ``count`` reminders sent: (row, owner address, first ref)."""
    from sqlalchemy import select

    from planwarden.plan.models import OutboxMessage

    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder").order_by(OutboxMessage.id))
    return [(row, row.to[0], row.items[0]["ref"]) for row in rows if row.to and row.items][:count]


class _Stub:
    """A reminder the stranger never received: nothing ties their mail to one."""

    sender, subject, message_id = "jtai-plan@example.org", "Action plan [planwarden jtai 1.1a]", "<none@x>"


def step_replies(ctx: DemoContext) -> None:
    results = ctx.results["replies"]
    for result in results:  # type: ignore[union-attr]
        refs = ", ".join(f"{u['ref']} {u.get('rag') or ''}".strip() for u in result.updates)
        ctx.say(f"  {result.outcome}: {refs or result.reason}")
    ctx.look_at.append(("replies planwarden could not place (kept whole)", ctx.config.mail_dir("inbox") / "quarantine"))


def step_totals(ctx: DemoContext) -> None:
    from planwarden.core.db import session_scope
    from planwarden.plan.queries import actions_json

    with session_scope(ctx.config.database_url) as session:
        rows = actions_json(session, PLAN)
    counts = {rag: sum(1 for r in rows if r["rag"] == rag) for rag in ("green", "amber", "red")}
    ctx.say(f"  {ctx.results['reminder_emails']} reminder emails over {REMINDER_DAYS} working days "
            f"(to {ctx.results['last_day']:%d %b %Y}); the plan now: {counts['green']} green, "
            f"{counts['amber']} amber, {counts['red']} red")


def step_explore(ctx: DemoContext) -> None:
    """The exact commands to look around this workspace with the same settings."""
    import shlex

    ctx.say("  Look at:")
    for what, path in ctx.look_at:
        ctx.say(f"    {what}: {path}")
    env = {"PLANWARDEN_CONFIG": os.environ["PLANWARDEN_CONFIG"], "PLANWARDEN_HOME": os.environ["PLANWARDEN_HOME"]}
    ctx.results["explore_env"] = env
    ctx.say("  Then, in a shell (the demo's settings, then any command; --json for scripts):")
    ctx.say("    export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()))
    for command in EXPLORE:
        ctx.say(f"    {command}")


EXPLORE = ["planwarden actions --plan jtai", "planwarden status", "planwarden outbox", "planwarden quarantine",
           "planwarden requests", "planwarden remind --today 2023-01-09 --dry-run"]

STEPS: list[tuple[str, Callable[[DemoContext], None]]] = [
    ("Import the JTAI plan (seed 000)", step_import),
    ("Show the plan", step_show),
    ("Three weeks, day by day: read replies, then remind, then packs and invites", step_weeks),
    ("What the owners' replies did (each confirmed to its sender)", step_replies),
    ("Where the plan stands", step_totals),
    ("Explore the workspace (the same settings as the demo)", step_explore),
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
    return ctx
