"""planwarden import FILE [--plan KEY] [--sheet NAME] [--map "Header=field,..."] [--dry-run] [--json]"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from planwarden.cli.common import add_json, command, load, print_json


def register(sub: Any) -> None:
    p = command(sub, "import", handle, "import a plan (Word, Excel, PDF, CSV or seed text); re-importing updates by ref")
    p.add_argument("file", type=Path)
    p.add_argument("--plan", default=None, help="plan key (default: the first configured plan, or the file name)")
    p.add_argument("--sheet", default=None, help="read only this worksheet of an Excel workbook")
    p.add_argument("--map", dest="mapping", default=None, metavar="HEADER=FIELD,...",
                   help='name columns yourself, e.g. "By when=due,Lead officer=owner" (fields: ref, action, '
                        'outcomes, owner, due, rag, progress, section, area, milestones, extra, ignore)')
    p.add_argument("--dry-run", action="store_true", help="show what would be imported; write nothing")
    add_json(p)


def plan_key_for(config: Any, key: str | None, file: Path) -> str:
    if key:
        return key
    if config.settings.plans:
        return str(config.settings.plans[0].key)
    return file.stem.lower().replace(" ", "-")[:64]


def handle(args: argparse.Namespace) -> int:
    from planwarden.importing import ReadOptions, import_file, preview_file
    from planwarden.importing.report import summary_text
    from planwarden.importing.tables import parse_mapping

    options = ReadOptions(sheet=args.sheet, mapping=parse_mapping(args.mapping))
    config = load()
    key = plan_key_for(config, args.plan, args.file)
    if args.dry_run:
        summary = preview_file(args.file, key, options)
    else:
        from planwarden.core.db import session_scope

        with session_scope(config.database_url) as session:
            summary = import_file(session, config, args.file, key, options)
    if args.json:
        print_json(summary.as_json())
    else:
        print(summary_text(summary, str(args.file)))
    return 0
