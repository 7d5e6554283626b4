"""planwarden requests [--plan KEY] [--json] | approve ID --by NAME | reject ID --by NAME --reason TEXT"""

from __future__ import annotations

import argparse
from typing import Any

from planwarden.cli.common import UserError, add_json, command, load, print_json, table


def register(sub: Any) -> None:
    p = command(sub, "requests", handle, "requested new due dates awaiting the board; approve or reject them")
    p.add_argument("decision", nargs="?", choices=["approve", "reject"], help="record the board's decision")
    p.add_argument("id", nargs="?", type=int, help="the request id (from the list)")
    p.add_argument("--plan", default=None)
    p.add_argument("--by", default="the secretary", help="who records the decision (kept in the history)")
    p.add_argument("--reason", default="", help="why it was rejected")
    add_json(p)


def handle(args: argparse.Namespace) -> int:
    from planwarden.plan import decisions
    from planwarden.core.db import session_scope

    if args.decision and args.id is None:
        raise UserError(f"requests {args.decision} needs the request id")
    if args.decision == "reject" and not args.reason:
        raise UserError("requests reject needs --reason (it is shown to the board in the next pack)")
    config = load()
    try:
        with session_scope(config.database_url) as session:
            if args.decision == "approve":
                result: Any = decisions.approve(session, args.id, by=args.by)
            elif args.decision == "reject":
                result = decisions.reject(session, args.id, by=args.by, reason=args.reason)
            else:
                result = decisions.pending(session, args.plan)
    except decisions.DecisionError as exc:
        raise UserError(str(exc)) from None
    _print(args, result)
    return 0


def _print(args: argparse.Namespace, result: Any) -> None:
    if args.json:
        print_json([r.as_json() for r in result] if isinstance(result, list) else result.as_json())
    elif isinstance(result, list):
        print(table(["id", "plan", "ref", "due now", "asks for", "from", "update"],
                    [(r.id, r.plan, r.ref, r.current_due or "-", r.requested_due, r.author, r.text) for r in result],
                    [5, 8, 6, 10, 10, 20, 50]) if result else "No requested new dates awaiting the board.")
    else:
        verb = "approved: the due date is now" if args.decision == "approve" else "rejected; the due date stays"
        print(f"{result.plan} {result.ref}: request for {result.requested_due} {verb} "
              f"{result.requested_due if args.decision == 'approve' else result.current_due or '(none)'}")
