"""planwarden history REF --plan KEY [--json] | planwarden withdraw UPDATE_ID --reason TEXT [--by NAME]"""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from planwarden.cli.common import UserError, add_json, command, load, print_json


def register(sub: Any) -> None:
    h = command(sub, "history", handle_history, "one action's updates and every change to it")
    h.add_argument("ref")
    h.add_argument("--plan", default=None, help="the plan (default: the only configured plan)")
    add_json(h)
    w = command(sub, "withdraw", handle_withdraw, "take back a wrongly applied update (the rating returns to "
                                                  "what it was; both stay in the history)")
    w.add_argument("update_id", type=int)
    w.add_argument("--reason", required=True)
    w.add_argument("--by", default=None, help="who withdraws it (default: your user name)")
    add_json(w)


def _plan(config: Any, given: str | None) -> str:
    if given:
        return given
    keys = [p.key for p in config.settings.plans]
    if len(keys) != 1:
        raise UserError("give --plan KEY" + (f" (one of {', '.join(keys)})" if keys else ""))
    return keys[0]


def handle_history(args: argparse.Namespace) -> int:
    from planwarden.plan.corrections import CorrectionError, history
    from planwarden.core.db import session_scope

    config = load()
    try:
        with session_scope(config.database_url) as session:
            result = history(session, _plan(config, args.plan), args.ref)
    except CorrectionError as exc:
        raise UserError(str(exc)) from None
    if args.json:
        print_json(result)
        return 0
    print(f"{result['plan']} {result['ref']} [{result['rag'] or 'not rated'}] due {result['due'] or 'none'}: "
          f"{result['text']}")
    for u in result["updates"]:
        gone = f"  WITHDRAWN ({u['withdrawn']['reason']})" if u["withdrawn"] else ""
        print(f"  update {u['id']:<5} {u['date'] or '-':<10} {u['rag'] or '-':<6} {u['source']:<7} "
              f"{(u['author'] or '-')[:30]}: {' '.join(u['text'].split())[:70]}{gone}")
    for c in result["changes"]:
        if c["field"] != "update":
            print(f"  change {c['at'][:16].replace('T', ' ')} {c['field']}: {c['old']!r} -> {c['new']!r} "
                  f"by {c['actor'] or '-'} ({c['source']} {c['source_ref']})")
    return 0


def handle_withdraw(args: argparse.Namespace) -> int:
    from planwarden.plan.corrections import CorrectionError, withdraw
    from planwarden.core.db import session_scope
    from planwarden.web import audit

    config = load()
    actor = args.by or getpass.getuser()
    try:
        with session_scope(config.database_url) as session:
            result = withdraw(session, args.update_id, args.reason, actor=actor)
            audit.record(session, actor, "withdraw-update", plan_key=result["plan"], target=result["ref"],
                         detail=result, channel="cli")
    except CorrectionError as exc:
        raise UserError(str(exc)) from None
    if args.json:
        print_json(result)
    else:
        print(f"update {result['id']} of {result['plan']} {result['ref']} withdrawn; "
              f"the rating is now {result['rag'] or 'not rated'}")
    return 0
