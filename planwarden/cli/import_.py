"""planwarden import FILE [--plan KEY] [--sheet NAME] [--map "Header=field,..."] [--dry-run] [--json]"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from planwarden.cli.common import Json, load, print_json, progress

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


def import_plan(file: Annotated[Path, typer.Argument(help="The plan: Word, Excel, PDF, CSV or seed text.")],
                plan: Annotated[str | None, typer.Option(
                    "--plan", metavar="KEY", help="Plan key (default: the first configured plan, or the file name).")]
                = None,
                sheet: Annotated[str | None, typer.Option(
                    "--sheet", metavar="NAME", help="Read only this worksheet of an Excel workbook.")] = None,
                mapping: Annotated[str | None, typer.Option(
                    "--map", metavar="HEADER=FIELD,...",
                    help='Name columns yourself, e.g. "By when=due,Lead officer=owner" (fields: ref, action, '
                         'outcomes, owner, due, rag, progress, section, area, milestones, extra, ignore).')] = None,
                dry_run: Annotated[bool, typer.Option(
                    "--dry-run", help="Show what would be imported; write nothing.")] = False,
                json: Json = False) -> None:
    """Import a plan (Word, Excel, PDF, CSV or seed text); re-importing updates by ref."""
    from planwarden.importing import ReadOptions, import_file, preview_file
    from planwarden.importing.report import summary_text
    from planwarden.importing.tables import parse_mapping

    options = ReadOptions(sheet=sheet, mapping=parse_mapping(mapping))
    config = load()
    key = plan_key_for(config, plan, file)
    if dry_run:
        summary = preview_file(file, key, options)
    else:
        from planwarden.core.db import session_scope

        with progress(f"Importing {file.name}"), session_scope(config.database_url) as session:
            summary = import_file(session, config, file, key, options)
    if json:
        print_json(summary.as_json())
        return
    print(summary_text(summary, str(file)))
