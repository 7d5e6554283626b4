"""planwarden export --plan KEY --out plan.xlsx [--json]"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from planwarden.cli.common import Json, UserError, load, print_json


def register(app: typer.Typer) -> None:
    app.command("export")(export)


def export(plan: Annotated[str, typer.Option("--plan", metavar="KEY", help="The plan's key.")],
           out: Annotated[Path, typer.Option("--out", help="The .xlsx file to write.")],
           json: Json = False) -> None:
    """Write a plan as an editable spreadsheet (importing it back changes nothing)."""
    from planwarden.core.db import session_scope
    from planwarden.plan.export import export_plan

    if out.suffix.lower() != ".xlsx":
        raise UserError(f"{out}: export writes .xlsx files")
    config = load()
    with session_scope(config.database_url) as session:
        count = export_plan(session, plan, out)
    if json:
        print_json({"plan": plan, "file": str(out), "actions": count})
    else:
        print(f"Wrote {count} actions of plan {plan!r} to {out}")
