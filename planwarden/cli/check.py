"""planwarden check [--no-mailbox] [--json]"""

from __future__ import annotations

import argparse
from typing import Any

from planwarden.cli.common import add_json, command, load, print_json


def register(sub: Any) -> None:
    p = command(sub, "check", check, "validate the config and reach the database and the mailbox")
    p.add_argument("--no-mailbox", action="store_true", help="do not try the mailbox")
    add_json(p)


def check(args: argparse.Namespace) -> int:
    """Start-up checks an operator runs after changing the config: fail fast, say why."""
    from planwarden.core.db import engine_for, redact_url

    config = load()
    engine_for(config.database_url)
    result: dict[str, Any] = {"config": str(config.source or "(defaults)"),
                              "database": redact_url(config.database_url), "plans": [p.key for p in config.plans]}
    if not args.no_mailbox:
        result["mailbox"] = _try_mailbox(config)
    if args.json:
        print_json(result)
    else:
        for key, value in result.items():
            print(f"{key:<9} {value}")
    return 0 if result.get("mailbox", "ok") == "ok" else 3


def _try_mailbox(config: Any) -> str:
    try:
        from planwarden.mail.factory import mailbox_for
    except ImportError:
        return "not checked (no mailbox support installed)"
    try:
        mailbox = mailbox_for(config)
        next(iter(mailbox.fetch(limit=1)), None)
    except Exception as exc:  # noqa: BLE001 - any failure here is reported to the operator
        from planwarden.core.log import redact
        return f"unreachable: {redact(str(exc))[:200]}"
    return "ok"
