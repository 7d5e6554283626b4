"""planwarden outbox [--deliver] [--limit N] [--json]: what is queued, sent and failed; deliver now.

For the secretary and the operator, so addresses are shown as stored (log lines redact them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from planwarden.cli.common import Json, load, mail_outage, print_json, print_table, progress

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from planwarden.plan.models import OutboxMessage


def register(app: typer.Typer) -> None:
    app.command("outbox")(outbox)


def outbox(deliver: Annotated[bool, typer.Option(
               "--deliver", help="Deliver due mail now with the configured transport.")] = False,
           limit: Annotated[int | None, typer.Option("--limit", help="Deliver at most this many messages.")] = None,
           json: Json = False) -> int:
    """Show the mail outbox (counts per state, failures); --deliver sends due mail."""
    from planwarden.core.db import session_factory

    config = load()
    sessions = session_factory(config.database_url)
    delivered: dict[str, Any] | None = None
    if deliver:
        from planwarden.mail.factory import deliver_queued

        with progress("Delivering queued mail"):
            stats = deliver_queued(config, limit=limit, sessions=sessions)
        delivered = {"transport": config.mail.transport, "sent": stats.sent, "retried": stats.retried,
                     "failed": stats.failed, "deferred": stats.deferred, "held": stats.held, "unavailable": stats.unavailable}
    report = _report(sessions)
    if json:
        print_json({**report, **({"delivered": delivered} if delivered is not None else {})})
        return mail_outage([delivered["unavailable"] if delivered else None])
    if delivered is not None:
        line = (f"Delivered with {delivered['transport']}: {delivered['sent']} sent, {delivered['retried']} to retry, "
                f"{delivered['failed']} failed")
        if delivered["held"]:
            line += f"; {delivered['held']} held back by the sending limits (sent when they fit)"
        if delivered["unavailable"]:
            line += f"; mail service unavailable ({delivered['unavailable']}), {delivered['deferred']} left queued"
        print(line)
    print("  ".join(f"{state}: {count}" for state, count in report["counts"].items()))
    problems = report["failures"] + report["refusals"]
    if problems:
        print()
        print_table(["id", "kind", "plan", "to", "subject", "problem"],
                    [[p["id"], p["kind"], p["plan"], ", ".join(p["to"]), p["subject"], p["problem"]] for p in problems],
                    [6, 10, 8, 30, 30, 50])
    return mail_outage([delivered["unavailable"] if delivered else None])


def _report(sessions: sessionmaker[Session]) -> dict[str, Any]:
    from sqlalchemy import func, select
    from sqlalchemy.orm import defer

    from planwarden.mail.outbox import OutboxState
    from planwarden.plan.models import OutboxMessage

    with sessions.begin() as session:
        counts = {state.value: 0 for state in OutboxState}
        counts.update(dict(session.execute(select(OutboxMessage.state, func.count())
                                           .group_by(OutboxMessage.state)).all()))
        failed = session.scalars(select(OutboxMessage).options(defer(OutboxMessage.raw))
                                 .where(OutboxMessage.state == OutboxState.FAILED).order_by(OutboxMessage.id)).all()
        sent = session.scalars(select(OutboxMessage).options(defer(OutboxMessage.raw))
                               .where(OutboxMessage.state == OutboxState.SENT).order_by(OutboxMessage.id)).all()
        return {"counts": counts,
                "failures": [_row(m, m.last_error or "failed") for m in failed],
                "refusals": [_row(m, "; ".join(f"{a}: {r}" for a, r in m.refused.items())) for m in sent if m.refused]}


def _row(m: OutboxMessage, problem: str) -> dict[str, Any]:
    return {"id": m.id, "kind": m.kind, "plan": m.plan_key, "to": [*m.to, *m.cc], "subject": m.subject,
            "state": m.state, "attempts": m.attempts, "problem": problem, "reported": m.reported_at is not None}
