"""planwarden outbox [--deliver] [--json]: what is queued, sent and failed; deliver now.

For the secretary and the operator, so addresses are shown as stored (log lines redact them).
"""

from __future__ import annotations

import argparse
from typing import Any

from planwarden.cli.common import add_json, command, load, mail_outage, print_json, table

STATES = ("queued", "sending", "retry", "sent", "failed")


def register(sub: Any) -> None:
    p = command(sub, "outbox", handle, "show the mail outbox (counts per state, failures); --deliver sends due mail")
    p.add_argument("--deliver", action="store_true", help="deliver due mail now with the configured transport")
    p.add_argument("--limit", type=int, default=None, help="deliver at most this many messages")
    add_json(p)


def handle(args: argparse.Namespace) -> int:
    from planwarden.core.db import session_factory

    config = load()
    sessions = session_factory(config.database_url)
    delivered: dict[str, Any] | None = None
    if args.deliver:
        from planwarden.mail.factory import deliver_queued

        stats = deliver_queued(config, limit=args.limit, sessions=sessions)
        delivered = {"transport": config.mail.transport, "sent": stats.sent, "retried": stats.retried,
                     "failed": stats.failed, "deferred": stats.deferred, "unavailable": stats.unavailable}
    report = _report(sessions)
    if args.json:
        print_json({**report, **({"delivered": delivered} if delivered is not None else {})})
        return mail_outage([delivered["unavailable"] if delivered else None])
    if delivered is not None:
        line = (f"Delivered with {delivered['transport']}: {delivered['sent']} sent, {delivered['retried']} to retry, "
                f"{delivered['failed']} failed")
        if delivered["unavailable"]:
            line += f"; mail service unavailable ({delivered['unavailable']}), {delivered['deferred']} left queued"
        print(line)
    print("  ".join(f"{state}: {report['counts'][state]}" for state in STATES))
    problems = report["failures"] + report["refusals"]
    if problems:
        print()
        print(table(["id", "kind", "plan", "to", "subject", "problem"],
                    [[p["id"], p["kind"], p["plan"], ", ".join(p["to"]), p["subject"], p["problem"]] for p in problems],
                    [6, 10, 8, 30, 30, 50]))
    return mail_outage([delivered["unavailable"] if delivered else None])


def _report(sessions: Any) -> dict[str, Any]:
    from sqlalchemy import func, select
    from sqlalchemy.orm import defer

    from planwarden.plan.models import OutboxMessage

    with sessions.begin() as session:
        counts = dict.fromkeys(STATES, 0)
        counts.update(dict(session.execute(select(OutboxMessage.state, func.count())
                                           .group_by(OutboxMessage.state)).all()))
        failed = session.scalars(select(OutboxMessage).options(defer(OutboxMessage.raw)).where(OutboxMessage.state == "failed")
                                 .order_by(OutboxMessage.id)).all()
        sent = session.scalars(select(OutboxMessage).options(defer(OutboxMessage.raw)).where(OutboxMessage.state == "sent")
                               .order_by(OutboxMessage.id)).all()

        def row(m: OutboxMessage, problem: str) -> dict[str, Any]:
            return {"id": m.id, "kind": m.kind, "plan": m.plan_key, "to": [*m.to, *m.cc], "subject": m.subject,
                    "state": m.state, "attempts": m.attempts, "problem": problem,
                    "reported": m.reported_at is not None}

        return {"counts": counts,
                "failures": [row(m, m.last_error or "failed") for m in failed],
                "refusals": [row(m, "; ".join(f"{a}: {r}" for a, r in m.refused.items())) for m in sent if m.refused]}
