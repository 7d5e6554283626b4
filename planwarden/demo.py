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
from dataclasses import dataclass, field
from pathlib import Path

from planwarden import clock
from planwarden.config import Config, load_config

REPO = Path(__file__).resolve().parents[1]
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
    from planwarden.db import session_scope
    from planwarden.importing import import_file

    with session_scope(ctx.config.database_url) as session:
        summary = import_file(session, ctx.config, SEED, PLAN)
    ctx.say(f"imported seed 000: {summary.created} actions, {len(summary.warnings)} warnings")
    ctx.results["import"] = summary.as_json()


def step_show(ctx: DemoContext) -> None:
    from planwarden.db import session_scope
    from planwarden.export import export_plan
    from planwarden.queries import actions_json

    with session_scope(ctx.config.database_url) as session:
        rows = actions_json(session, PLAN)
        out = ctx.folder / "jtai-plan.xlsx"
        export_plan(session, PLAN, out)
    counts = {rag: sum(1 for r in rows if r["rag"] == rag) for rag in ("green", "amber", "red", None)}
    ctx.say(f"plan {PLAN!r}: {len(rows)} actions — {counts['green']} green, {counts['amber']} amber, "
            f"{counts['red']} red, {counts[None]} unrated")
    ctx.look_at.append(("the plan as a spreadsheet", out))


DEMO_START = dt.date(2022, 12, 5)  # the plan's December 2022 update round
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


def step_calendar(ctx: DemoContext) -> None:
    from planwarden.calendar.service import deliver, run
    from planwarden.db import session_scope

    out = ctx.folder / "governance.ics"
    with on_day(DEMO_START + dt.timedelta(days=9)), session_scope(ctx.config.database_url) as session:
        result = run(session, ctx.config, send=True, out=out, feed=ctx.folder / "governance-feed.ics")
    with on_day(DEMO_START + dt.timedelta(days=9)):
        deliver(ctx.config)
    ctx.say(f"  {result.events} governance events; {len(result.sent)} invitations sent")
    ctx.look_at.append(("the governance calendar", out))


STEPS: list[tuple[str, Callable[[DemoContext], None]]] = [
    ("Import the JTAI plan (seed 000)", step_import),
    ("Show the plan", step_show),
    ("Daily reminders over three weeks of working days", step_reminders),
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
