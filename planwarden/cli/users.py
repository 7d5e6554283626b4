"""planwarden users [--json] | users add EMAIL --name NAME --role admin|secretary|member [--plan KEY ...] [--password-stdin]"""

from __future__ import annotations

import enum
import getpass
import sys
from typing import Annotated

import typer

from planwarden.cli.common import Json, UserError, load, print_json

group = typer.Typer(help="Console accounts: list them, or add one.")


class Role(str, enum.Enum):
    admin = "admin"
    secretary = "secretary"
    member = "member"


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="users")


@group.callback(invoke_without_command=True)
def users(ctx: typer.Context, json: Json = False) -> None:
    """Console accounts: list them, or add one."""
    if ctx.invoked_subcommand is not None:
        return
    from sqlalchemy import select

    from planwarden.core.db import session_scope
    from planwarden.web.accounts import user_json
    from planwarden.web.models import User

    with session_scope(load().database_url) as session:
        rows = [user_json(u) for u in session.scalars(select(User).order_by(User.email))]
    if json:
        print_json(rows)
        return
    for r in rows:
        print(f"{r['email']:<40} {r['role']:<10} {r['name']}  {', '.join(r['plans']) or 'all plans'}")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise UserError("the two passwords differ")
    return first


@group.command("add")
def add(email: Annotated[str, typer.Argument(help="The account's email address (the login).")],
        name: Annotated[str, typer.Option("--name", help="The person's name.")],
        role: Annotated[Role, typer.Option("--role", help="admin, secretary or member.")],
        plan: Annotated[list[str] | None, typer.Option(
            "--plan", metavar="KEY", help="A plan the account sees (repeat; default: all).")] = None,
        password_stdin: Annotated[bool, typer.Option(
            "--password-stdin", help="Read the password from standard input.")] = False,
        json: Json = False) -> None:
    """Add a console account (an empty password means single sign-on only)."""
    from planwarden.core.db import session_scope
    from planwarden.web import audit
    from planwarden.web.accounts import AccountError, add_user, login_email, user_json

    plans = list(plan or [])
    config = load()
    unknown = [k for k in plans if k not in {p.key for p in config.settings.plans}]
    if unknown:
        raise UserError(f"no plan {', '.join(unknown)} in the configuration")
    try:
        login_email(email)  # before the password is asked for
    except AccountError as exc:
        raise UserError(str(exc)) from None
    try:
        with session_scope(config.database_url) as session:
            user = add_user(session, email, name, role.value, _password(password_stdin), plans)
            audit.record(session, getpass.getuser(), "user-add", target=user.email,
                         detail={"role": user.role, "plans": plans}, channel="cli")
            result = user_json(user)
    except AccountError as exc:
        raise UserError(str(exc)) from None
    if json:
        print_json(result)
        return
    print(f"added {result['email']} ({result['role']}); log in at /login")
