"""planwarden actions [--plan KEY] [--json]"""

from __future__ import annotations

import argparse
from typing import Any

from planwarden.cli.common import add_json, command, load, print_json, table


def register(sub: Any) -> None:
    p = command(sub, "actions", handle, "list a plan's actions with owners, due dates, RAG and last update")
    p.add_argument("--plan", default=None)
    add_json(p)


def handle(args: argparse.Namespace) -> int:
    from planwarden.core.db import session_scope
    from planwarden.plan.queries import actions_json

    config = load()
    with session_scope(config.database_url) as session:
        rows = actions_json(session, args.plan)
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("No actions yet: planwarden import FILE --plan KEY")
        return 0
    print(table(["ref", "due", "rag", "owner", "action", "last update"],
                [(r["ref"], r["due"] or "-", (r["rag"] or "-").upper(), r["owner_text"], r["text"],
                  (r["updates"][-1]["text"] if r["updates"] else "")) for r in rows],
                [6, 10, 5, 30, 50, 40]))
    print(f"\n{len(rows)} actions")
    return 0
