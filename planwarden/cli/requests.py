"""planwarden requests [--plan KEY] [--json] | requests approve ID [--by NAME] | requests reject ID --reason TEXT"""

from __future__ import annotations

import enum
from typing import Annotated, Any

import typer

from planwarden.cli.common import Json, UserError, database_url, print_json
from planwarden.cli.output import print_requests


class Decision(str, enum.Enum):
    approve = "approve"
    reject = "reject"


def register(app: typer.Typer) -> None:
    app.command("requests")(requests)


def requests(decision: Annotated[Decision | None, typer.Argument(help="Record the board's decision.")] = None,
             request_id: Annotated[int | None, typer.Argument(metavar="ID", help="The request id (from the list).")]
             = None,
             plan: Annotated[str | None, typer.Option("--plan", metavar="KEY")] = None,
             by: Annotated[str, typer.Option("--by", help="Who records the decision (kept in the history).")]
             = "the secretary",
             reason: Annotated[str, typer.Option("--reason", help="Why it was rejected.")] = "",
             json: Json = False) -> None:
    """Requested new due dates awaiting the board; approve or reject them."""
    verb = decision.value if decision else None
    if verb and request_id is None:
        raise UserError(f"requests {verb} needs the request id")
    if verb == "reject" and not reason:
        raise UserError("requests reject needs --reason (it is shown to the board in the next pack)")
    result = _decide(verb, request_id, by, reason) if verb else _pending(plan)
    _print(verb, result, json)


def _pending(plan: str | None) -> Any:
    """The list, read without the ORM (its start-up is most of this command's)."""
    from planwarden.core.db import connection_scope
    from planwarden.plan.listing import pending_requests

    with connection_scope(database_url()) as conn:
        return pending_requests(conn, plan)


def _decide(verb: str, request_id: int | None, by: str, reason: str) -> Any:
    from planwarden.core.db import session_scope
    from planwarden.plan import decisions

    try:
        with session_scope(database_url()) as session:
            if verb == "approve":
                return decisions.approve(session, request_id, by=by)
            return decisions.reject(session, request_id, by=by, reason=reason)
    except decisions.DecisionError as exc:
        raise UserError(str(exc)) from None


def _print(verb: str | None, result: Any, as_json: bool) -> None:
    if isinstance(result, list):
        print_requests(result, as_json)
    elif as_json:
        print_json(result.as_json())
    else:
        outcome = "approved: the due date is now" if verb == "approve" else "rejected; the due date stays"
        print(f"{result.plan} {result.ref}: request for {result.requested_due} {outcome} "
              f"{result.requested_due if verb == 'approve' else result.current_due or '(none)'}")
