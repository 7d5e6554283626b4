"""The audit log: every write, who made it and through what, in the same transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from planwarden.core import clock
from planwarden.web.models import AuditEntry


def record(session: Session, actor: str, action: str, *, plan_key: str = "", target: str = "",
           detail: dict[str, Any] | None = None, channel: str = "console") -> None:
    session.add(AuditEntry(at=clock.now(), actor=actor, action=action, plan_key=plan_key or "", target=target,
                           detail=detail or {}, channel=channel))


def recent(session: Session, limit: int = 200) -> list[dict[str, Any]]:
    rows = session.scalars(select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit))
    return [{"id": r.id, "at": r.at.isoformat(), "actor": r.actor, "action": r.action, "plan": r.plan_key or None,
             "target": r.target, "detail": r.detail, "channel": r.channel} for r in rows]
