"""planwarden remind [--today YYYY-MM-DD] [--dry-run] [--json] [--plan KEY]"""

from __future__ import annotations

import argparse
from typing import Any

from planwarden.cli.common import UserError, add_json, command, date_arg, load, mail_outage, print_json, table


def register(sub: Any) -> None:
    p = command(sub, "remind", handle,
                "send today's reminders: one digest per owner (ahead, due, overdue, escalation, no due date)")
    p.add_argument("--today", type=date_arg, default=None, metavar="YYYY-MM-DD",
                   help="run as if on this local date (the plan's time zone)")
    p.add_argument("--dry-run", action="store_true", help="compute and render, but record and send nothing")
    p.add_argument("--plan", default=None, help="only this plan (default: every configured plan)")
    add_json(p)



def handle(args: argparse.Namespace) -> int:
    from planwarden.core import clock
    from planwarden.plan.queries import UnknownPlan
    from planwarden.reminders.run import plans_to_run, run_reminders, runs_json

    config = load()
    if args.plan and args.plan not in {p.key for p in config.settings.plans} and config.settings.plans:
        raise UserError(f"no plan {args.plan!r} in the configuration "
                        f"(configured: {', '.join(p.key for p in config.settings.plans)})")
    previous = None
    if args.today:
        tz = plans_to_run(config, args.plan)[0].timezone
        previous = clock.set_clock(clock.FixedClock(clock.at_local(args.today, tz)))
    try:
        if args.plan:
            _require_imported(config, args.plan, UnknownPlan)
        runs = run_reminders(config, plan_key=args.plan, today=args.today, dry_run=args.dry_run)
    finally:
        if previous is not None:
            clock.set_clock(previous)
    report = runs_json(config, runs, args.today)
    if args.json:
        print_json(report)
    else:
        _print(report, runs, args.dry_run)
    return mail_outage([r.mail_unavailable for r in runs])


def _require_imported(config: Any, key: str, unknown: type[Exception]) -> None:
    from sqlalchemy import select

    from planwarden.core.db import session_scope
    from planwarden.plan.models import Plan

    with session_scope(config.database_url) as session:
        if session.scalar(select(Plan.id).where(Plan.key == key)) is None:
            raise unknown(f"no plan {key!r} has been imported (planwarden import FILE --plan {key})")


def _print(report: dict[str, Any], runs: list[Any], dry_run: bool) -> None:
    day = report["today"]
    if runs and not any(r.working_day for r in runs):
        print(f"{day} is not a working day: no reminders are sent.")
        return
    if not report["messages"]:
        print(f"{day}: nothing due (every reminder due today has been sent).")
        return
    verb = "would send" if dry_run else "sent"
    print(table(["to", "cc", "items", "subject"],
                [(", ".join(m["to"]), ", ".join(m["cc"]) or "-",
                  " ".join(f"{i['ref']}:{i['kind']}" for i in m["items"]), m["subject"])
                 for m in report["messages"]], [34, 24, 40, 60]))
    items = sum(len(r.reminders) for r in runs)
    print(f"\n{day}: {verb} {len(report['messages'])} emails covering {items} reminders"
          + (" (dry run: nothing recorded)" if dry_run else "."))
