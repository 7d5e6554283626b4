"""planwarden directory suggest --plan KEY --out FILE [--json]"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from planwarden.cli.common import Json, UserError, load, print_json

group = typer.Typer(help="The directory of people, roles and groups.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="directory")


@group.command("suggest")
def suggest(plan: Annotated[str, typer.Option("--plan", metavar="KEY", help="The plan's key.")],
            out: Annotated[Path, typer.Option("--out", help="TOML file to write (must not exist yet).")],
            json: Json = False) -> None:
    """Draft directory entries from the plan's owner texts, to complete with email addresses."""
    from planwarden.core.db import session_scope
    from planwarden.importing.people import directory_toml
    from planwarden.importing.people import suggest as suggest_people
    from planwarden.plan.directory import Directory

    if out.exists():
        raise UserError(f"{out}: already exists; choose another --out (nothing is overwritten)")
    config = load()
    with session_scope(config.database_url) as session:
        found = suggest_people(session, plan, Directory(config.directory))
    out.write_text(directory_toml(found, plan), encoding="utf-8")
    if json:
        print_json([{"kind": s.kind, "name": s.name, "refs": s.refs} for s in found])
        return
    counts = {k: sum(s.kind == k for s in found) for k in ("person", "role", "group")}
    print(f"Wrote {out}: {counts['person']} people, {counts['role']} roles, {counts['group']} groups "
          "to complete with email addresses.")
