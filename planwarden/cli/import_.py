"""planwarden import FILE [--plan KEY] [--json]"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from planwarden.cli.common import add_json, command, load, print_json, table


def register(sub: Any) -> None:
    p = command(sub, "import", handle, "import a plan (seed text, CSV or XLSX); re-importing updates by ref")
    p.add_argument("file", type=Path)
    p.add_argument("--plan", default=None, help="plan key (default: the first configured plan, or the file name)")
    add_json(p)


def plan_key_for(config: Any, key: str | None, file: Path) -> str:
    if key:
        return key
    if config.settings.plans:
        return str(config.settings.plans[0].key)
    return file.stem.lower().replace(" ", "-")[:64]


def handle(args: argparse.Namespace) -> int:
    from planwarden.core.db import session_scope
    from planwarden.importing import import_file

    config = load()
    key = plan_key_for(config, args.plan, args.file)
    with session_scope(config.database_url) as session:
        summary = import_file(session, config, args.file, key)
    if args.json:
        print_json(summary.as_json())
        return 0
    print(f"Imported {args.file} into plan {key!r}: {summary.created} created, {summary.updated} updated, "
          f"{summary.unchanged} unchanged, {len(summary.warnings)} warnings.")
    if summary.warnings:
        print("\nFor review:")
        print(table(["ref", "field", "message"],
                    [(w.ref or "-", w.field, w.message) for w in summary.warnings], [8, 10, 100]))
    return 0
