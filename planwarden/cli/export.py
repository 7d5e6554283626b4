"""planwarden export --plan KEY --out plan.xlsx"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from planwarden.cli.common import UserError, add_json, command, load, print_json


def register(sub: Any) -> None:
    p = command(sub, "export", handle, "write a plan as an editable spreadsheet (importing it back changes nothing)")
    p.add_argument("--plan", required=True)
    p.add_argument("--out", type=Path, required=True, help="the .xlsx file to write")
    add_json(p)


def handle(args: argparse.Namespace) -> int:
    from planwarden.core.db import session_scope
    from planwarden.plan.export import export_plan

    if args.out.suffix.lower() != ".xlsx":
        raise UserError(f"{args.out}: export writes .xlsx files")
    config = load()
    with session_scope(config.database_url) as session:
        count = export_plan(session, args.plan, args.out)
    if args.json:
        print_json({"plan": args.plan, "file": str(args.out), "actions": count})
    else:
        print(f"Wrote {count} actions of plan {args.plan!r} to {args.out}")
    return 0
