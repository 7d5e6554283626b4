"""planwarden actions [--plan KEY] [--json]"""

from __future__ import annotations

import typer

from planwarden.cli.common import Json, PlanKey, database_url
from planwarden.cli.output import print_actions


def register(app: typer.Typer) -> None:
    app.command("actions")(actions)


def actions(plan: PlanKey = None, json: Json = False) -> None:
    """List a plan's actions with owners, due dates, RAG and last update."""
    from planwarden.core.db import connection_scope
    from planwarden.plan.listing import actions_json

    with connection_scope(database_url()) as conn:
        rows = actions_json(conn, plan)
    print_actions(rows, json)
