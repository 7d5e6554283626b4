"""A big day through Microsoft Graph with Exchange Online's sending limits simulated.

A simulated Graph ``sendMail`` endpoint (httpx.MockTransport) enforces, per mailbox, 30
messages in any minute and 10,000 recipients in any 24 hours, answering 429 with a
``Retry-After`` when a message would break either, as Exchange Online does. Time is
simulated (a fixed clock moved by the delivery schedule and by Graph's ``sleep``), so
a day of mail runs in seconds. The day: 2,000 reminder digests (1–3 recipients) and 250
board packs to 30 recipients each, queued at 08:00 for one plan mailbox: about 10,500
recipients, more than one day's allowance. Delivery runs every minute (idle minutes, where
nothing is due, are skipped: they would change nothing).

Target: no message refused for throttling (no 429 at all) and none failed; the mail past
the daily allowance is held and goes the next day. Run with
``.venv/bin/python -m benchmarks.bench_graph_limits``.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

DIGESTS, PACKS, PACK_RECIPIENTS = 2000, 250, 30
MINUTE, DAY = dt.timedelta(minutes=1), dt.timedelta(days=1)


class SimulatedExchangeOnline:
    """sendMail that refuses (429) what would break 30/minute or 10,000 recipients/day."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.sent: list[tuple[dt.datetime, int]] = []
        self.refused = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        import base64
        import email

        now = self.clock.now()
        msg = email.message_from_bytes(base64.b64decode(request.content))
        recipients = sum(len(email.utils.getaddresses([v])) for v in msg.get_all("To", []) + msg.get_all("Cc", []))
        last_minute = sum(1 for t, _ in self.sent if t > now - MINUTE)
        last_day = sum(n for t, n in self.sent if t > now - DAY)
        if last_minute >= 30 or last_day + recipients > 10_000:
            self.refused += 1
            body = {"error": {"code": "ApplicationThrottled", "message": "Mailbox over its sending limit."}}
            return httpx.Response(429, headers={"Retry-After": "60"}, content=json.dumps(body).encode())
        self.sent.append((now, recipients))
        return httpx.Response(202)


def _queue(url: str) -> None:
    from planwarden.core.db import session_scope
    from planwarden.mail.compose import Draft
    from planwarden.mail.outbox import enqueue

    with session_scope(url) as session:
        for i in range(DIGESTS):
            cc = [f"deputy{i}@example.org"] * (i % 3 == 0) + ["secretary@example.org"] * (i % 7 == 0)
            enqueue(session, Draft(sender="plan@example.org", to=[f"owner{i}@example.org"], cc=cc,
                                   subject=f"Your plan actions [planwarden jtai {i}]", text="Due soon."),
                    kind="reminder", dedupe_key=f"bench-{i}", plan_key="jtai")
        for i in range(PACKS):
            board = [f"member{k}@example.org" for k in range(PACK_RECIPIENTS)]
            enqueue(session, Draft(sender="plan@example.org", to=board, subject=f"Board pack {i}", text="Attached."),
                    kind="pack", dedupe_key=f"pack-{i}", plan_key="jtai")


def _next_due(sessions: Any) -> dt.datetime:
    """The first minute boundary at which a queued message is due."""
    from sqlalchemy import func, select

    from planwarden.plan.models import OutboxMessage

    with sessions() as session:
        due = session.scalar(select(func.min(OutboxMessage.next_attempt_at))
                             .where(OutboxMessage.state.in_(("queued", "retry"))))
    if due is None:
        return dt.datetime.max.replace(tzinfo=dt.timezone.utc) - dt.timedelta(days=2)
    due = due if due.tzinfo else due.replace(tzinfo=dt.timezone.utc)
    return due.replace(second=0, microsecond=0) + (dt.timedelta(minutes=1) if due.second or due.microsecond else
                                                   dt.timedelta(0))


def main() -> dict[str, Any]:
    from planwarden.core import clock as clock_module
    from planwarden.core.clock import FixedClock
    from planwarden.core.config import GraphSettings
    from planwarden.core.db import forget, session_factory
    from planwarden.mail.delivery import deliver_pending
    from planwarden.mail.graph import GraphTransport

    clock = FixedClock(dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.timezone.utc))
    previous = clock_module.set_clock(clock)
    server = SimulatedExchangeOnline(clock)
    with tempfile.TemporaryDirectory(prefix="pw-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        _queue(url)
        transport = GraphTransport(GraphSettings(mailbox="plan@example.org"), token_provider=lambda: "token",
                                   client=httpx.Client(transport=httpx.MockTransport(server)),
                                   sleep=lambda s: clock.advance(seconds=s))
        sessions = session_factory(url)
        start, passes, failed, sent, began = time.perf_counter(), 0, 0, 0, clock.now()
        first_day_sent = 0
        while sent < DIGESTS + PACKS and passes < 5 * 24 * 60:
            stats = deliver_pending(sessions, transport)
            passes, failed, sent = passes + 1, failed + stats.failed, sent + stats.sent
            if clock.now() < dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc):
                first_day_sent = sent
            clock.advance(minutes=1)
            if not (stats.sent or stats.held):  # idle minutes change nothing: go to the next pass with work
                clock.set(max(clock.now(), _next_due(sessions)))
        elapsed, end = time.perf_counter() - start, clock.now()
        forget(url)
    clock_module.set_clock(previous)
    recipients = sum(n for _, n in server.sent)
    result = {"messages": DIGESTS + PACKS, "sent": sent, "failed": failed, "refused_429": server.refused,
              "recipients": recipients, "sent_first_24h": first_day_sent, "delivery_passes": passes,
              "simulated_hours": round((end - began).total_seconds() / 3600, 1), "wall_seconds": round(elapsed, 1)}
    print(f"bench_graph_limits: {sent} of {DIGESTS + PACKS} messages ({recipients} recipients) sent under "
          f"30/min and 10,000 recipients/day; refused for throttling: {server.refused} (target 0); failed: {failed}; "
          f"{first_day_sent} in the first 24 h, the rest the next day; {passes} delivery passes with work "
          f"({result['simulated_hours']} simulated hours) in {result['wall_seconds']} s", flush=True)
    return result


if __name__ == "__main__":
    main()
