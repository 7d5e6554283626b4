"""The `planwarden` command line. Every command has --json for scripts.

Each command lives in its own module with ``register(subparsers)``; heavy imports
(Prefect, WeasyPrint, the database) happen inside the handlers so that commands
which run no flow start in well under a second.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from planwarden.cli.common import UserError, run_handler

COMMANDS = ["import_", "actions", "export", "demo", "serve", "deploy", "status", "config_reference", "check", "requests", "remind", "preview_emails", "calendar",
            "ingest", "collect", "quarantine", "outbox", "pack", "directory", "history", "users", "web"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="planwarden",
        description="Keeps multi-agency improvement plans moving: reminders, replies, board packs, invites.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"planwarden.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_handler(args)


__all__ = ["UserError", "main"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
