"""`/metrics` for operators: Prometheus text format, read from planwarden's database.

Per plan: outbox messages by state (queued, sending, retry, sent, failed), replies waiting
in quarantine, and, per scheduled job, when it last succeeded and last ran. The numbers
are the same ones `planwarden status` prints; scraping them needs no Prefect.

:func:`render` builds the text; :func:`app` is a minimal ASGI app serving it at
``/metrics`` (mount it in the console, or run it alone:
``uvicorn --factory planwarden.orchestration.metrics:app``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from planwarden.core.config import Config, load_config
from planwarden.plan.models import FlowRun, OutboxMessage

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OUTBOX_STATES = ("queued", "sending", "retry", "sent", "failed")


def render(session: Session, config: Config) -> str:
    """Every metric, in the Prometheus text exposition format (version 0.0.4)."""
    plans = [p.key for p in config.plans]
    lines: list[str] = []
    _family(lines, "planwarden_outbox_messages", "gauge", "Outgoing messages by plan and state",
            (({"plan": p, "state": s}, n) for p, s, n in _outbox(session, plans)))
    _family(lines, "planwarden_quarantined_replies", "gauge", "Replies in quarantine awaiting the secretary",
            (({"plan": p}, n) for p, n in _quarantined(session, plans)))
    ok, last = _runs(session)
    _family(lines, "planwarden_flow_last_success_timestamp_seconds", "gauge",
            "When each job last finished without error (Unix time)", ok)
    _family(lines, "planwarden_flow_last_run_timestamp_seconds", "gauge",
            "When each job last started, whatever its outcome (Unix time)", last)
    return "\n".join(lines) + "\n"


def _family(lines: list[str], name: str, kind: str, help_text: str,
            samples: Iterable[tuple[dict[str, str], float]]) -> None:
    lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        pairs = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
        lines.append(f"{name}{{{pairs}}} {value}" if isinstance(value, int) else f"{name}{{{pairs}}} {value:.3f}")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _outbox(session: Session, plans: list[str]) -> list[tuple[str, str, int]]:
    counts = {(p or "", s): n for p, s, n in session.execute(
        select(OutboxMessage.plan_key, OutboxMessage.state, func.count())
        .group_by(OutboxMessage.plan_key, OutboxMessage.state))}
    keys = sorted(set(plans) | {p for p, _ in counts})
    return [(p, s, counts.get((p, s), 0)) for p in keys for s in OUTBOX_STATES]


def _quarantined(session: Session, plans: list[str]) -> list[tuple[str, int]]:
    if not inspect(session.connection()).has_table("inbound_messages"):
        return []
    counts = dict(session.execute(text(
        "SELECT coalesce(plan_key, ''), count(*) FROM inbound_messages "
        "WHERE outcome = 'quarantined' AND resolved_at IS NULL GROUP BY coalesce(plan_key, '')")).all())
    return [(p, int(counts.get(p, 0))) for p in sorted(set(plans) | set(counts))]


def _runs(session: Session) -> tuple[list[tuple[dict[str, str], float]], list[tuple[dict[str, str], float]]]:
    def newest(*where: Any) -> list[tuple[dict[str, str], float]]:
        rows = session.execute(select(FlowRun.plan_key, FlowRun.job, func.max(FlowRun.started_at))
                               .where(*where).group_by(FlowRun.plan_key, FlowRun.job)
                               .order_by(FlowRun.plan_key, FlowRun.job))
        return [({"plan": p or "", "flow": j}, _unix(at)) for p, j, at in rows]
    return newest(FlowRun.outcome == "ok"), newest()


def _unix(moment: dt.datetime) -> float:
    """Seconds since the epoch; stored times are UTC (a naive one from SQLite included)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)).timestamp()


Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def app(config: Config | None = None) -> Callable[[dict[str, Any], Receive, Send], Awaitable[None]]:
    """A minimal ASGI app: GET /metrics answers the text above; anything else is 404."""
    from planwarden.core.db import session_scope

    async def asgi(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope.get("path") != "/metrics" or scope.get("method") not in ("GET", "HEAD"):
            await _answer(send, 404, b"not found\n", "text/plain; charset=utf-8")
            return
        cfg = config or load_config()
        with session_scope(cfg.database_url) as session:
            body = render(session, cfg).encode()
        await _answer(send, 200, body if scope["method"] == "GET" else b"", CONTENT_TYPE)

    return asgi


async def _answer(send: Send, status: int, body: bytes, content_type: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
