"""planwarden calendar [--out FILE.ics] [--feed FILE.ics] [--owners DIR] [--send] [--today YYYY-MM-DD] [--json]"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from planwarden.cli.common import UserError, add_json, command, date_arg, load, print_json


def register(sub: Any) -> None:
    p = command(sub, "calendar", handle,
                "governance calendar: write it as .ics, and with --send invite attendees to what changed")
    p.add_argument("--out", type=Path, help="write the whole calendar (organiser and attendees) to this .ics file")
    p.add_argument("--feed", type=Path, help="write the subscribable feed (METHOD:PUBLISH, no organiser) here")
    p.add_argument("--owners", type=Path, metavar="DIR",
                   help="write one .ics of action due dates per owner into DIR (<person id>.ics)")
    p.add_argument("--plan", default=None, help="plan whose actions go into the --owners feeds")
    p.add_argument("--send", action="store_true",
                   help="queue invitations, updates and cancellations for what changed, then deliver them")
    p.add_argument("--today", type=date_arg, default=None, metavar="YYYY-MM-DD",
                   help="run as if on this local date (meetings already over are not invited)")
    add_json(p)



def handle(args: argparse.Namespace) -> int:
    from planwarden.core import clock

    for path in (args.out, args.feed):
        if path is not None and path.suffix.lower() != ".ics":
            raise UserError(f"{path}: calendar files end in .ics")
    config = load()
    previous = None
    if args.today:
        previous = clock.set_clock(clock.FixedClock(clock.at_local(args.today, config.plan(None).timezone)))
    try:
        return _handle(args, config)
    finally:
        if previous is not None:
            clock.set_clock(previous)


def _handle(args: argparse.Namespace, config: Any) -> int:
    from planwarden.calendar.events import CalendarError
    from planwarden.calendar.service import deliver, run
    from planwarden.core.db import session_scope

    try:
        with session_scope(config.database_url) as session:
            result = run(session, config, send=args.send, out=args.out, feed=args.feed)
            owners = _owner_feeds(session, config, args.plan, args.owners) if args.owners else None
    except CalendarError as exc:
        raise UserError(str(exc)) from None
    delivered = deliver(config) if args.send and result.sent else None
    data = result.json()
    if owners is not None:
        data["owners"] = owners
    if delivered is not None:
        data["delivered"] = delivered
    if args.json:
        print_json(data)
        return 0
    _print(data, args.send)
    return 0


def _owner_feeds(session: Any, config: Any, plan: str | None, folder: Path) -> list[str]:
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
