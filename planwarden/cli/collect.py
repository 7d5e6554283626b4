"""planwarden collect [--json]: replies from the configured mailbox."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from planwarden.cli.common import add_json, command, deliver_now, load


def register(sub: Any) -> None:
    p = command(sub, "collect", handle, "read owners' replies from the configured mailbox and record them")
    p.add_argument("--limit", type=int, default=500, help="most messages to read in this run (default 500)")
    p.add_argument("--plan", default=None, help="read this plan's own mailbox ([plans.mail]); default: the shared one")
    add_json(p)


def handle(args: argparse.Namespace) -> int:
    from planwarden.cli.ingest import print_results
    from planwarden.core.db import session_factory
    from planwarden.replies.collect import collect, mailbox_for

    config = load()
    report = collect(session_factory(config.database_url), config, mailbox_for(config, args.plan), limit=args.limit)
    deliver_now(config)
    print_results(report.results, args.json)
    if report.error:
        print(f"planwarden: warning: {report.error} (the rest is read next run; nothing is lost)", file=sys.stderr)
        return 3
    return 0
