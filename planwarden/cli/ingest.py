"""planwarden ingest FILE.eml... [--json]: replies from files, in the order given."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from planwarden.cli.common import UserError, add_json, command, deliver_now, load, print_json, table


def register(sub: Any) -> None:
    p = command(sub, "ingest", handle, "record owners' email replies from .eml files (applied, ignored or quarantined)")
    p.add_argument("files", nargs="+", metavar="FILE.eml")
    add_json(p)


def handle(args: argparse.Namespace) -> int:
    from planwarden.core.db import session_factory
    from planwarden.replies.ingest import ingest_raw

    paths = [Path(f) for f in args.files]
    for path in paths:  # check them all first: a typo must not leave half a batch ingested
        if not path.is_file():
            raise UserError(f"{path}: no such file")
    config = load()
    sessions = session_factory(config.database_url)
    results = []
    for path in paths:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise UserError(f"{path}: cannot read ({exc.strerror})") from None
        results.append(ingest_raw(sessions, config, raw, str(path)))
    deliver_now(config)
    print_results(results, args.json)
    return 0


def print_results(results: list[Any], as_json: bool) -> None:
    if as_json:
        print_json([r.as_json() for r in results])
        return
    if not results:
        print("No messages.")
        return
    print(table(["outcome", "refs", "rag", "reason", "message"],
                [(r.outcome, ", ".join(u["ref"] for u in r.updates) or "-",
                  ", ".join((u["rag"] or "-") for u in r.updates) or "-", r.reason, r.source or r.message_id)
                 for r in results], [11, 12, 12, 60, 40]))
