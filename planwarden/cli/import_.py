"""planwarden import FILE [--plan KEY] [--json]"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from planwarden.cli.common import Json, load, print_json, print_table, progress

if TYPE_CHECKING:
    from planwarden.core.config import Config


def register(app: typer.Typer) -> None:
    app.command("import")(import_plan)


def plan_key_for(config: Config, key: str | None, file: Path) -> str:
    if key:
        return key
    if config.settings.plans:
        return str(config.settings.plans[0].key)
    return file.stem.lower().replace(" ", "-")[:64]


def import_plan(file: Annotated[Path, typer.Argument(help="The plan: seed text, CSV or XLSX.")],
                plan: Annotated[str | None, typer.Option(
                    "--plan", metavar="KEY", help="Plan key (default: the first configured plan, or the file name).")]
                = None,
                json: Json = False) -> None:
    """Import a plan (seed text, CSV or XLSX); re-importing updates by ref."""
    from planwarden.core.db import session_scope
    from planwarden.importing import import_file

    config = load()
    key = plan_key_for(config, plan, file)
    with progress(f"Importing {file.name}"), session_scope(config.database_url) as session:
        summary = import_file(session, config, file, key)
    if json:
        print_json(summary.as_json())
        return
    print(f"Imported {file} into plan {key!r}: {summary.created} created, {summary.updated} updated, "
          f"{summary.unchanged} unchanged, {len(summary.warnings)} warnings.")
    if summary.warnings:
        print("\nFor review:")
        print_table(["ref", "field", "message"],
                    [(w.ref or "-", w.field, w.message) for w in summary.warnings], [8, 10, 100])
