"""planwarden quarantine [--json] | quarantine apply ID --ref REF [--rag R] | quarantine discard ID --reason TEXT"""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from planwarden.cli.common import UserError, add_json, command, load, print_json, table


def register(sub: Any) -> None:
    p = command(sub, "quarantine", handle_list,
                "replies planwarden could not place: list them, apply one to an action, or discard it")
    add_json(p)
    inner = p.add_subparsers(dest="quarantine_command", metavar="ACTION")
    a = inner.add_parser("apply", help="record a quarantined reply as an action's update",
                         description="record a quarantined reply as an action's update")
    a.add_argument("id", type=int)
    a.add_argument("--ref", action="append", required=True, help="the action's ref (repeat for a digest reply)")
    a.add_argument("--rag", choices=["red", "amber", "green"], default=None, help="the RAG to record (default: as written)")
    a.add_argument("--plan", default=None)
    a.add_argument("--by", default=None, help="who decided (default: your user name)")
    add_json(a)
    a.set_defaults(handler=handle_apply)
    d = inner.add_parser("discard", help="close a quarantined reply without recording it",
                         description="close a quarantined reply without recording it")
    d.add_argument("id", type=int)
    d.add_argument("--reason", required=True)
    d.add_argument("--by", default=None)
    add_json(d)
    d.set_defaults(handler=handle_discard)


def _actor(args: argparse.Namespace) -> str:
    if args.by:
        return str(args.by)
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in a container: say who in general terms
        return "secretary"


def handle_list(args: argparse.Namespace) -> int:
    from planwarden.core.db import session_scope
    from planwarden.replies.quarantine import waiting

    config = load()
    with session_scope(config.database_url) as session:
        rows = [w.as_json() for w in waiting(session)]
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("Nothing in quarantine.")
        return 0
    print(table(["id", "received", "from", "reason", "text"],
                [(r["id"], r["received_at"][:16].replace("T", " "), r["sender"], r["reason"], r["text"]) for r in rows],
                [5, 16, 32, 50, 50]))
    print(f"\n{len(rows)} waiting. Apply one: planwarden quarantine apply ID --ref REF [--rag R]; "
          "or: planwarden quarantine discard ID --reason TEXT")
    return 0


def _run(args: argparse.Namespace, fn: Any) -> int:
    from planwarden.core.db import session_scope
    from planwarden.replies.quarantine import QuarantineError

    config = load()
    try:
        with session_scope(config.database_url) as session:
            result = fn(session, config)
    except QuarantineError as exc:
        raise UserError(str(exc)) from None
    if args.json:
        print_json(result)
    else:
        print(f"{result['id']}: {result['resolution']}")
    return 0


def handle_apply(args: argparse.Namespace) -> int:
    from planwarden.replies.quarantine import apply
    return _run(args, lambda s, c: apply(s, c, args.id, args.ref, rag=args.rag, plan_key=args.plan,
                                         actor=_actor(args)))


def handle_discard(args: argparse.Namespace) -> int:
    from planwarden.replies.quarantine import discard
    return _run(args, lambda s, c: discard(s, args.id, args.reason, actor=_actor(args)))
