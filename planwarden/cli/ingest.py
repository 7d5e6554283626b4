"""planwarden ingest FILE.eml... [--json]: replies from files, in the order given."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from planwarden.cli.common import Json, UserError, deliver_now, load, print_json, print_table, progress


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)


def ingest(files: Annotated[list[Path], typer.Argument(metavar="FILE.eml...", help="Replies saved as .eml files.")],
           json: Json = False) -> None:
    """Record owners' email replies from .eml files (applied, ignored or quarantined)."""
    from planwarden.core.db import session_factory
    from planwarden.replies.ingest import ingest_raw

    for path in files:  # check them all first: a typo must not leave half a batch ingested
        if not path.is_file():
            raise UserError(f"{path}: no such file")
    config = load()
    sessions = session_factory(config.database_url)
    results = []
    with progress("Recording replies", total=len(files)) as advance:
        for path in files:
            try:
                raw = path.read_bytes()
            except OSError as exc:
                raise UserError(f"{path}: cannot read ({exc.strerror})") from None
            results.append(ingest_raw(sessions, config, raw, str(path)))
            advance(1)
    deliver_now(config)
    print_results(results, json)


OUTCOME_STYLES = {"applied": "green", "ignored": "dim", "quarantined": "bold yellow"}


def print_results(results: list[Any], as_json: bool) -> None:
    if as_json:
        print_json([r.as_json() for r in results])
        return
    if not results:
        print("No messages.")
        return
    print_table(["outcome", "refs", "rag", "reason", "message"],
                [(r.outcome, ", ".join(u["ref"] for u in r.updates) or "-",
                  ", ".join((u["rag"] or "-") for u in r.updates) or "-", r.reason, r.source or r.message_id)
                 for r in results], [11, 12, 12, 60, 40], styles=OUTCOME_STYLES)
