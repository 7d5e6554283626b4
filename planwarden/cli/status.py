"""planwarden status [--json]"""

from __future__ import annotations

import argparse
from typing import Any

from planwarden.cli.common import add_json, command, load, print_json


def register(sub: Any) -> None:
    p = command(sub, "status", handle, "per plan: last run of each job, outbox queue and failures, "
                                       "quarantined replies, next board date")
    add_json(p)


def handle(args: argparse.Namespace) -> int:
    from planwarden.core.db import session_scope
    from planwarden.orchestration.status import status

    config = load()
    with session_scope(config.database_url) as session:
        plans = status(session, config)
    if args.json:
        print_json(plans)
        return 0
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
    return 0
