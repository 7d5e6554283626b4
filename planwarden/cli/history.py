"""planwarden history REF [--plan KEY] [--json] | planwarden withdraw UPDATE_ID --reason TEXT [--by NAME]"""

from __future__ import annotations

import getpass
from json import dumps
from typing import TYPE_CHECKING, Annotated, Any

import typer

from planwarden.cli.common import Json, PlanKey, UserError, load, print_json
from planwarden.cli.output import cut

if TYPE_CHECKING:
    from planwarden.core.config import Config


def register(app: typer.Typer) -> None:
    app.command("history")(history_command)
    app.command("withdraw")(withdraw_command)


def _plan(config: Config, given: str | None) -> str:
    if given:
        return given
    keys = [p.key for p in config.settings.plans]
    if len(keys) != 1:
        raise UserError("give --plan KEY" + (f" (one of {', '.join(keys)})" if keys else ""))
    return keys[0]


def history_command(ref: Annotated[str, typer.Argument(help="The action's ref, e.g. 2.1c.")],
                    plan: PlanKey = None, json: Json = False) -> None:
    """One action's updates and every change to it."""
    from planwarden.core.db import session_scope
    from planwarden.plan.corrections import CorrectionError, history

    config = load()
    try:
        with session_scope(config.database_url) as session:
            result = history(session, _plan(config, plan), ref)
    except CorrectionError as exc:
        raise UserError(str(exc)) from None
    if json:
        print_json(result)
        return
    print(f"{result['plan']} {result['ref']} [{result['rag'] or 'not rated'}] due {result['due'] or 'none'}: "
          f"{result['text']}")
    for u in result["updates"]:
        gone = f"  WITHDRAWN ({u['withdrawn']['reason']})" if u["withdrawn"] else ""
        print(f"  update {u['id']:<5} {u['date'] or '-':<10} {u['rag'] or '-':<6} {u['source']:<7} "
              f"{(u['author'] or '-')[:30]}: {' '.join(u['text'].split())[:70]}{gone}")
    for c in result["changes"]:
        if c["field"] != "update":
            print(_change_line(c))


def _change_line(change: dict[str, Any]) -> str:
    """One change as a person reads it: short values, "(none)" for nothing, and no dump
    of the whole action for "created" (``--json`` keeps every value)."""
    when = f"{change['at'][:16].replace('T', ' ')} {change['field']}"
    what = "" if change["field"] == "created" else f": {_shown(change['old'])} -> {_shown(change['new'])}"
    return f"  change {when}{what} by {change['actor'] or '-'} ({change['source']} {change['source_ref']})"


def _shown(value: object, width: int = 60) -> str:
    if value is None or value == "" or value == []:
        return "(none)"
    text = " ".join(str(value).split()) if isinstance(value, str) else dumps(value, ensure_ascii=False)
    return repr(cut(text, width))


def withdraw_command(update_id: Annotated[int, typer.Argument(metavar="UPDATE_ID", help="The update's id.")],
                     reason: Annotated[str, typer.Option("--reason", help="Why it is withdrawn (kept in the history).")],
                     by: Annotated[str | None, typer.Option("--by", help="Who withdraws it (default: your user name).")]
                     = None,
                     json: Json = False) -> None:
    """Take back a wrongly applied update (the rating returns to what it was; both stay in the history)."""
    from planwarden.core.db import session_scope
    from planwarden.plan.corrections import CorrectionError, withdraw
    from planwarden.web import audit

    config = load()
    actor = by or getpass.getuser()
    try:
        with session_scope(config.database_url) as session:
            result = withdraw(session, update_id, reason, actor=actor)
            audit.record(session, actor, "withdraw-update", plan_key=result["plan"], target=result["ref"],
                         detail=result, channel="cli")
    except CorrectionError as exc:
        raise UserError(str(exc)) from None
    if json:
        print_json(result)
        return
    print(f"update {result['id']} of {result['plan']} {result['ref']} withdrawn; "
          f"the rating is now {result['rag'] or 'not rated'}")
