"""planwarden actions [--plan KEY] [--json]"""

from __future__ import annotations

import typer

from planwarden.cli.common import Json, PlanKey, database_url, print_json, print_table


def register(app: typer.Typer) -> None:
    app.command("actions")(actions)


def actions(plan: PlanKey = None, json: Json = False) -> None:
    """List a plan's actions with owners, due dates, RAG and last update."""
    from planwarden.core.db import connection_scope
    from planwarden.plan.listing import actions_json

    with connection_scope(database_url()) as conn:
        rows = actions_json(conn, plan)
    if json:
        print_json(rows)
        return
    if not rows:
        print("No actions yet: planwarden import FILE --plan KEY")
        return
    print_table(["ref", "due", "rag", "owner", "action", "last update"],
                [(r["ref"], r["due"] or "-", (r["rag"] or "-").upper(), r["owner_text"], r["text"],
                  (r["updates"][-1]["text"] if r["updates"] else "")) for r in rows],
                [6, 10, 5, 30, 50, 40])
    print(f"\n{len(rows)} actions")
