"""planwarden calendar [--out FILE.ics] [--feed FILE.ics] [--owners DIR] [--plan KEY] [--send]
[--today YYYY-MM-DD] [--json]"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from planwarden.cli.common import Json, UserError, date_option, load, print_json, progress

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from planwarden.core.config import Config


def register(app: typer.Typer) -> None:
    app.command("calendar")(calendar)


def calendar(out: Annotated[Path | None, typer.Option(
                 "--out", help="Write the whole calendar (organiser and attendees) to this .ics file.")] = None,
             feed: Annotated[Path | None, typer.Option(
                 "--feed", help="Write the subscribable feed (METHOD:PUBLISH, no organiser) here.")] = None,
             owners: Annotated[Path | None, typer.Option(
                 "--owners", metavar="DIR", help="Write one .ics of action due dates per owner into DIR.")] = None,
             plan: Annotated[str | None, typer.Option(
                 "--plan", metavar="KEY", help="Plan whose actions go into the --owners feeds.")] = None,
             send: Annotated[bool, typer.Option(
                 "--send", help="Queue invitations, updates and cancellations for what changed, then deliver them.")]
             = False,
             today: Annotated[str | None, typer.Option(
                 "--today", metavar="YYYY-MM-DD",
                 help="Run as if on this local date (meetings already over are not invited).")] = None,
             json: Json = False) -> None:
    """Governance calendar: write it as .ics, and with --send invite attendees to what changed."""
    from planwarden.core import clock

    for path in (out, feed):
        if path is not None and path.suffix.lower() != ".ics":
            raise UserError(f"{path}: calendar files end in .ics")
    day = date_option(today)
    config = load()
    previous = None
    if day:
        previous = clock.set_clock(clock.FixedClock(clock.at_local(day, config.plan(None).timezone)))
    try:
        data = _run(config, out=out, feed=feed, owners=owners, plan=plan, send=send)
    finally:
        if previous is not None:
            clock.set_clock(previous)
    if json:
        print_json(data)
    else:
        _print(data, send)


def _run(config: Config, *, out: Path | None, feed: Path | None, owners: Path | None, plan: str | None,
         send: bool) -> dict[str, Any]:
    from planwarden.calendar.events import CalendarError
    from planwarden.calendar.service import run
    from planwarden.core.db import session_scope
    from planwarden.mail.factory import deliver_queued

    try:
        with session_scope(config.database_url) as session:
            result = run(session, config, send=send, out=out, feed=feed)
            feeds = _owner_feeds(session, config, plan, owners) if owners else None
    except CalendarError as exc:
        raise UserError(str(exc)) from None
    delivered = None
    if send and result.sent:
        with progress("Sending invitations"):
            stats = deliver_queued(config)
        delivered = {"transport": config.mail.transport, "results": len(stats.results)}
    data = result.json()
    if feeds is not None:
        data["owners"] = feeds
    if delivered is not None:
        data["delivered"] = delivered
    return data


def _owner_feeds(session: Session, config: Config, plan: str | None, folder: Path) -> list[str]:
    from planwarden.calendar.feeds import write_owner_feeds
    return [str(p) for p in write_owner_feeds(session, config, plan, folder)]


def _print(data: dict[str, Any], send: bool) -> None:
    for w in data["warnings"]:
        print(f"warning: {w}")
    print(f"{data['events']} events in the governance calendar")
    for key in ("file", "feed"):
        if data.get(key):
            print(f"Wrote {data[key]}")
    if data.get("owners") is not None:
        print(f"Wrote {len(data['owners'])} owner feeds")
    listed = data["sent"] if send else data["pending"]
    for m in listed:
        print(f"{'queued' if send else 'to send'}: {m['method']} {m['uid']} SEQUENCE {m['sequence']} "
              f"({m['reason']}) to {len(m['to'])} attendee{'s' if len(m['to']) != 1 else ''}")
    for s in data.get("server") or []:
        print(f"calendar item: {s['action']} {s['uid']}")
    if not listed and not data.get("server"):
        print("Nothing to send: attendees already have the current version" if send else
              "Nothing to send")
    elif not send:
        print("Run with --send to send them.")
