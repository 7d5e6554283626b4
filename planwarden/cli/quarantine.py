"""planwarden quarantine [--json] | quarantine apply ID --ref REF [--rag R] | quarantine discard ID --reason TEXT

A command group: the group's callback lists (when no subcommand is given); `apply` and
`discard` are its subcommands. This is the pattern for any `planwarden NOUN VERB` group.
"""

from __future__ import annotations

import enum
import getpass
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from planwarden.cli.common import Json, UserError, load, print_json, print_table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from planwarden.core.config import Config

group = typer.Typer(help="Replies planwarden could not place: list them, apply one to an action, or discard it.")

QuarantineId = Annotated[int, typer.Argument(metavar="ID", help="The quarantined reply's id (from the list).")]
By = Annotated[str | None, typer.Option("--by", help="Who decided (default: your user name).")]


class Rag(str, enum.Enum):
    red = "red"
    amber = "amber"
    green = "green"


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="quarantine")


@group.callback(invoke_without_command=True)
def quarantine(ctx: typer.Context, json: Json = False) -> None:
    """Replies planwarden could not place: list them, apply one to an action, or discard it."""
    if ctx.invoked_subcommand is not None:
        return
    from planwarden.core.db import session_scope
    from planwarden.replies.quarantine import waiting

    config = load()
    with session_scope(config.database_url) as session:
        rows = [w.as_json() for w in waiting(session)]
    if json:
        print_json(rows)
        return
    if not rows:
        print("Nothing in quarantine.")
        return
    print_table(["id", "received", "from", "reason", "text"],
                [(r["id"], r["received_at"][:16].replace("T", " "), r["sender"], r["reason"], r["text"])
                 for r in rows], [5, 16, 32, 50, 50])
    print(f"\n{len(rows)} waiting. Apply one: planwarden quarantine apply ID --ref REF [--rag R]; "
          "or: planwarden quarantine discard ID --reason TEXT")


@group.command("apply")
def apply_reply(quarantine_id: QuarantineId,
                ref: Annotated[list[str], typer.Option("--ref", help="The action's ref (repeat for a digest reply).")],
                rag: Annotated[Rag | None, typer.Option("--rag", help="The RAG to record (default: as written).")]
                = None,
                plan: Annotated[str | None, typer.Option("--plan", metavar="KEY")] = None,
                by: By = None, json: Json = False) -> None:
    """Record a quarantined reply as an action's update."""
    from planwarden.replies.quarantine import apply

    _run(json, lambda s, c: apply(s, c, quarantine_id, ref, rag=rag.value if rag else None, plan_key=plan,
                                  actor=_actor(by)))


@group.command("discard")
def discard_reply(quarantine_id: QuarantineId,
                  reason: Annotated[str, typer.Option("--reason", help="Why it is closed (kept in the history).")],
                  by: By = None, json: Json = False) -> None:
    """Close a quarantined reply without recording it."""
    from planwarden.replies.quarantine import discard

    _run(json, lambda s, c: discard(s, quarantine_id, reason, actor=_actor(by)))


def _actor(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in a container: say who in general terms
        return "secretary"


def _run(as_json: bool, fn: Callable[[Session, Config], dict[str, Any]]) -> None:
    from planwarden.core.db import session_scope
    from planwarden.replies.quarantine import QuarantineError

    config = load()
    try:
        with session_scope(config.database_url) as session:
            result = fn(session, config)
    except QuarantineError as exc:
        raise UserError(str(exc)) from None
    if as_json:
        print_json(result)
    else:
        print(f"{result['id']}: {result['resolution']}")
