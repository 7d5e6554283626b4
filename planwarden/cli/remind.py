"""planwarden remind [--today YYYY-MM-DD] [--dry-run] [--json] [--plan KEY]"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from planwarden.cli.common import Json, UserError, date_option, load, mail_outage, print_json, print_table, progress

if TYPE_CHECKING:
    from planwarden.core.config import Config

Today = Annotated[str | None, typer.Option("--today", metavar="YYYY-MM-DD",
                                           help="Run as if on this local date (the plan's time zone).")]


def register(app: typer.Typer) -> None:
    app.command("remind")(remind)


def remind(today: Today = None,
           dry_run: Annotated[bool, typer.Option("--dry-run", help="Compute and render, but record and send nothing.")]
           = False,
           plan: Annotated[str | None, typer.Option("--plan", metavar="KEY",
                                                    help="Only this plan (default: every configured plan).")] = None,
           json: Json = False) -> int:
    """Send today's reminders: one digest per owner (ahead, due, overdue, escalation, no due date)."""
    from planwarden.core import clock
    from planwarden.plan.queries import UnknownPlan
    from planwarden.reminders.run import plans_to_run, run_reminders, runs_json

    day = date_option(today)
    config = load()
    if plan and plan not in {p.key for p in config.settings.plans} and config.settings.plans:
        raise UserError(f"no plan {plan!r} in the configuration "
                        f"(configured: {', '.join(p.key for p in config.settings.plans)})")
    previous = None
    if day:
        tz = plans_to_run(config, plan)[0].timezone
        previous = clock.set_clock(clock.FixedClock(clock.at_local(day, tz)))
    try:
        if plan:
            _require_imported(config, plan, UnknownPlan)
        with progress("Reminding owners and delivering the digests"):
            runs = run_reminders(config, plan_key=plan, today=day, dry_run=dry_run)
    finally:
        if previous is not None:
            clock.set_clock(previous)
    report = runs_json(config, runs, day)
    if json:
        print_json(report)
    else:
        _print(report, runs, dry_run)
    return mail_outage([r.mail_unavailable for r in runs])


def _require_imported(config: Config, key: str, unknown: type[Exception]) -> None:
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
    print_table(["to", "cc", "items", "subject"],
                [(", ".join(m["to"]), ", ".join(m["cc"]) or "-",
                  " ".join(f"{i['ref']}:{i['kind']}" for i in m["items"]), m["subject"])
                 for m in report["messages"]], [34, 24, 40, 60])
    items = sum(len(r.reminders) for r in runs)
    print(f"\n{day}: {verb} {len(report['messages'])} emails covering {items} reminders"
          + (" (dry run: nothing recorded)" if dry_run else "."))
