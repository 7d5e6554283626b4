"""Facts the pack reads from other features' tables, tolerating their absence.

Reminders and the reply quarantine are built by other parts of planwarden and may
not be installed (or migrated) everywhere; a pack must still build, saying less.
Each reader returns plain dicts so the pack does not depend on their classes.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from planwarden.plan.models import OutboxMessage, Person

log = logging.getLogger(__name__)


def _model(module: str, *names: str) -> Any | None:
    """A feature's model class if that feature is installed, else None."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    for name in names:
        if hasattr(mod, name):
            return getattr(mod, name)
    for value in vars(mod).values():  # any mapped class whose name says quarantine
        if isinstance(value, type) and "quarantin" in value.__name__.lower() and hasattr(value, "__tablename__"):
            return value
    return None


def _has_table(session: Session, model: Any) -> bool:
    try:
        return bool(inspect(session.connection()).has_table(model.__tablename__))
    except SQLAlchemyError:
        return False


def _first(row: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        value = getattr(row, name, None)
        if value not in (None, ""):
            return value
    return default


def quarantined(session: Session, plan_key: str, cutoff: dt.datetime) -> list[dict[str, Any]]:
    """Inbound messages held for the secretary at ``cutoff`` (not yet resolved then)."""
    model = _model("planwarden.replies.models", "InboundMessage", "QuarantinedMessage", "Quarantine")
    if model is None or not _has_table(session, model):
        return []
    query = select(model)
    if hasattr(model, "outcome"):  # one table of every inbound message: the quarantined ones
        query = query.where(model.outcome == "quarantined")
    try:
        rows = list(session.scalars(query))
    except SQLAlchemyError as exc:  # a table of a different shape: say less, never fail the pack
        log.warning("quarantine not readable: %s", type(exc).__name__)
        return []
    out = []
    for row in rows:
        received = _first(row, "received_at", "created_at", "at")
        resolved = _first(row, "resolved_at", "released_at", "settled_at")
        row_plan = _first(row, "plan_key", default="")
        if row_plan and row_plan != plan_key:
            continue
        if not isinstance(received, dt.datetime) or received > cutoff:
            continue
        if isinstance(resolved, dt.datetime) and resolved <= cutoff:
            continue
        name, address = _first(row, "sender_name", default=""), _first(row, "sender", "from_address", default="")
        out.append({"received": received, "sender": f"{name} <{address}>" if name and address else str(name or address),
                    "subject": str(_first(row, "subject", default="")),
                    "reason": str(_first(row, "reason", "why", default=""))})
    return sorted(out, key=lambda r: r["received"])


def reminders(session: Session, plan_key: str, cutoff: dt.datetime) -> list[dict[str, Any]]:
    """Reminders sent up to ``cutoff``: {at, action_id, ref, recipients: [(name, email)]}.

    The reminder log is the record when present; otherwise the outbox rows of kind
    'reminder' (their items name the actions) serve.
    """
    names = {p.email.lower(): p.name for p in session.scalars(select(Person))}
    log_model = _model("planwarden.reminders.models", "ReminderLog")
    if log_model is not None and _has_table(session, log_model):
        rows = session.scalars(select(log_model).where(log_model.plan_key == plan_key,
                                                       log_model.created_at <= cutoff))
        found = [{"at": r.created_at, "action_id": r.action_id, "ref": r.ref,
                  "recipients": _recipients(r.recipients or [], names)} for r in rows]
        if found:
            return found
    return _outbox_reminders(session, plan_key, cutoff, names)


def _recipients(values: list[Any], names: dict[str, str]) -> list[tuple[str, str]]:
    """The people a reminder was addressed to (not those copied): (name, address)."""
    out: list[tuple[str, str]] = []
    for value in values:
        if isinstance(value, dict) and "to" in value:
            addresses = [str(a) for a in value.get("to") or []]
        elif isinstance(value, dict):
            addresses = [str(value.get("email") or value.get("address") or "")]
        else:
            addresses = [str(value)]
        out.extend((names.get(a.lower(), ""), a) for a in addresses if a and (names.get(a.lower(), ""), a) not in out)
    return out


def _outbox_reminders(session: Session, plan_key: str, cutoff: dt.datetime,
                      names: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for msg in session.scalars(select(OutboxMessage).where(OutboxMessage.plan_key == plan_key,
                                                          OutboxMessage.kind == "reminder",
                                                          OutboxMessage.created_at <= cutoff)):
        people = [(names.get(a.lower(), ""), a) for a in msg.to]
        for item in msg.items or []:
            out.append({"at": msg.created_at, "action_id": item.get("action_id"), "ref": item.get("ref", ""),
                        "recipients": people})
    return out
