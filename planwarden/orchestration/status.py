"""What an operator or secretary needs at a glance, per plan."""

from __future__ import annotations


from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from planwarden.core import clock
from planwarden.core.config import Config
from planwarden.calendar.governance import next_board
from planwarden.plan.models import Action, OutboxMessage, Plan
from planwarden.orchestration.runs import last_runs


def plan_status(session: Session, config: Config, plan_key: str) -> dict[str, Any]:
    plan_cfg = config.plan(plan_key)
    today = clock.today(plan_cfg.timezone)
    board = next_board(config.governance, plan_cfg.timezone, today, plan_key)
    return {
        "plan": plan_key,
        "actions": _count_actions(session, plan_key),
        "last_runs": {job: {"started_at": r.started_at.isoformat(), "outcome": r.outcome,
                            "summary": r.summary} for job, r in last_runs(session, plan_key).items()},
        "outbox": _outbox(session, plan_key),
        "quarantined": _quarantined(session, plan_key),
        "next_board": ({"meeting": board.meeting.title, "date": board.day.isoformat()} if board else None),
    }


def _count_actions(session: Session, plan_key: str) -> int:
    return session.scalar(select(func.count()).select_from(Action).join(Plan)
                          .where(Plan.key == plan_key, Action.deleted_at.is_(None))) or 0


def _outbox(session: Session, plan_key: str) -> dict[str, int]:
    rows = session.execute(select(OutboxMessage.state, func.count()).where(OutboxMessage.plan_key == plan_key)
                           .group_by(OutboxMessage.state)).all()
    return {state: count for state, count in rows}


def _quarantined(session: Session, plan_key: str) -> int | None:
    """Quarantined replies awaiting the secretary (None before replies are set up)."""
    if not inspect(session.connection()).has_table("inbound_messages"):  # the same connection: no self-lock
        return None
    return session.scalar(text("SELECT count(*) FROM inbound_messages WHERE outcome = 'quarantined' "
                               "AND resolved_at IS NULL AND (plan_key = :p OR plan_key IS NULL)"),
                          {"p": plan_key})


def status(session: Session, config: Config) -> list[dict[str, Any]]:
    keys = [p.key for p in config.settings.plans] or list(session.scalars(select(Plan.key).order_by(Plan.key)))
    return [plan_status(session, config, key) for key in keys]


