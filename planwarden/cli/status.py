"""planwarden status [--json]"""

from __future__ import annotations

import typer

from planwarden.cli.common import Json, load, print_json


def register(app: typer.Typer) -> None:
    app.command("status")(status)


def status(json: Json = False) -> None:
    """Per plan: last run of each job, outbox queue and failures, quarantined replies, next board date."""
    from planwarden.core.db import session_scope
    from planwarden.orchestration.status import status as plan_status

    config = load()
    with session_scope(config.database_url) as session:
        plans = plan_status(session, config)
    if json:
        print_json(plans)
        return
    if not plans:
        print("No plans yet: planwarden import FILE --plan KEY")
    for p in plans:
        print(f"Plan {p['plan']}: {p['actions']} actions")
        for job, run in sorted(p["last_runs"].items()):
            print(f"  last {job:<11} {run['started_at'][:16].replace('T', ' ')} UTC  {run['outcome']}")
        if not p["last_runs"]:
            print("  no scheduled job has run yet")
        outbox = ", ".join(f"{n} {s}" for s, n in sorted(p["outbox"].items())) or "empty"
        print(f"  outbox: {outbox}")
        if p["quarantined"] is not None:
            print(f"  quarantined replies awaiting the secretary: {p['quarantined']}")
        board = p["next_board"]
        print(f"  next board: {board['meeting']} on {board['date']}" if board else "  next board: none scheduled")
