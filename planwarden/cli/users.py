"""planwarden users add EMAIL --name NAME --role admin|secretary|member [--plan KEY ...] [--password-stdin]"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from planwarden.cli.common import UserError, add_json, command, load, print_json


def register(sub: Any) -> None:
    p = command(sub, "users", handle_list, "console accounts: list them, or add one")
    add_json(p)
    inner = p.add_subparsers(dest="users_command", metavar="ACTION")
    a = inner.add_parser("add", help="add a console account", description="add a console account")
    a.add_argument("email")
    a.add_argument("--name", required=True)
    a.add_argument("--role", required=True, choices=["admin", "secretary", "member"])
    a.add_argument("--plan", action="append", default=[], help="a plan the account sees (repeat; default: all)")
    a.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add_json(a)
    a.set_defaults(handler=handle_add)


def handle_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from planwarden.core.db import session_scope
    from planwarden.web.accounts import user_json
    from planwarden.web.models import User

    with session_scope(load().database_url) as session:
        rows = [user_json(u) for u in session.scalars(select(User).order_by(User.email))]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['email']:<40} {r['role']:<10} {r['name']}  {', '.join(r['plans']) or 'all plans'}")
    return 0


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise UserError("the two passwords differ")
    return first


def handle_add(args: argparse.Namespace) -> int:
    from planwarden.core.db import session_scope
    from planwarden.web import audit
    from planwarden.web.accounts import AccountError, add_user, user_json

    config = load()
    unknown = [k for k in args.plan if k not in {p.key for p in config.settings.plans}]
    if unknown:
        raise UserError(f"no plan {', '.join(unknown)} in the configuration")
    try:
        with session_scope(config.database_url) as session:
            user = add_user(session, args.email, args.name, args.role, _password(args), args.plan)
            audit.record(session, getpass.getuser(), "user-add", target=user.email,
                         detail={"role": user.role, "plans": args.plan}, channel="cli")
            result = user_json(user)
    except AccountError as exc:
        raise UserError(str(exc)) from None
    if args.json:
        print_json(result)
    else:
        print(f"added {result['email']} ({result['role']}); log in at /login")
    return 0
