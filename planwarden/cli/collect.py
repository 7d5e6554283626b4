"""planwarden collect [--limit N] [--plan KEY] [--json]: replies from the configured mailbox."""

from __future__ import annotations

from typing import Annotated

import typer

from planwarden.cli.common import EXIT_SYSTEM_ERROR, Json, deliver_now, load, progress, warn


def register(app: typer.Typer) -> None:
    app.command("collect")(collect)


def collect(limit: Annotated[int, typer.Option("--limit", help="Most messages to read in this run.")] = 500,
            plan: Annotated[str | None, typer.Option(
                "--plan", metavar="KEY", help="Read this plan's own mailbox ([plans.mail]); default: the shared one.")]
            = None,
            json: Json = False) -> int:
    """Read owners' replies from the configured mailbox and record them."""
    from planwarden.cli.ingest import print_results
    from planwarden.core.db import session_factory
    from planwarden.replies.collect import collect as collect_replies
    from planwarden.replies.collect import mailbox_for

    config = load()
    with progress("Reading replies from the mailbox"):
        report = collect_replies(session_factory(config.database_url), config, mailbox_for(config, plan), limit=limit)
    deliver_now(config)
    print_results(report.results, json)
    if report.error:
        warn(f"{report.error} (the rest is read next run; nothing is lost)")
        return EXIT_SYSTEM_ERROR
    return 0
