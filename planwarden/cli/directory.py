"""planwarden directory suggest --plan KEY --out FILE [--json]"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from planwarden.cli.common import UserError, add_json, command, load, print_json


def register(sub: Any) -> None:
    p = command(sub, "directory", lambda _args: 2, "the directory of people, roles and groups")
    inner = p.add_subparsers(dest="directory_command", metavar="ACTION", required=True)
    s = command(inner, "suggest", suggest, "draft directory entries from the plan's owner texts, to complete")
    s.add_argument("--plan", required=True, help="plan key")
    s.add_argument("--out", required=True, type=Path, help="TOML file to write (must not exist yet)")
    add_json(s)


def suggest(args: argparse.Namespace) -> int:
    from planwarden.core.db import session_scope
    from planwarden.plan.directory import Directory
    from planwarden.importing.people import directory_toml
    from planwarden.importing.people import suggest as suggest_people

    if args.out.exists():
        raise UserError(f"{args.out}: already exists; choose another --out (nothing is overwritten)")
    config = load()
    with session_scope(config.database_url) as session:
        found = suggest_people(session, args.plan, Directory(config.directory))
    args.out.write_text(directory_toml(found, args.plan), encoding="utf-8")
    if args.json:
        print_json([{"kind": s.kind, "name": s.name, "refs": s.refs} for s in found])
    else:
        counts = {k: sum(s.kind == k for s in found) for k in ("person", "role", "group")}
        print(f"Wrote {args.out}: {counts['person']} people, {counts['role']} roles, {counts['group']} groups "
              "to complete with email addresses.")
    return 0
