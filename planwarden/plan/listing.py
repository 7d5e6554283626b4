"""Every read the read-only commands make — the actions list (`planwarden actions`, the
console's JSON), the requested new dates awaiting the board (`planwarden requests`) and
the per-plan counts of `planwarden status` — written once, in plain SQL, for both paths.

Why plain SQL on the DB-API: the fast path of those commands (planwarden/cli/fast.py)
starts without SQLAlchemy (its import alone is more than a command's 0.3 s budget on
the machine docs/benchmarks.md measures on) and reads through stdlib ``sqlite3`` or
psycopg directly; the full path, the ORM code and the console pass their SQLAlchemy
connection, which runs the same statements with ``exec_driver_sql``. One statement per
read, one decoding of each column type, so the two paths cannot drift apart. These
statements name the tables and columns of planwarden.plan.models; tests/test_listing.py
compares what they read with the ORM's objects, so a renamed column fails there.

Values come back as the driver gives them: SQLite returns dates, date-times and JSON as
the text SQLAlchemy stored (ISO dates, ``YYYY-MM-DD HH:MM:SS[.ffffff]`` naive UTC, JSON
text), PostgreSQL as ``date`` / naive ``datetime`` / decoded JSON; the ``_date``,
``_utc`` and ``_json`` helpers give one answer for both.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from planwarden.plan.rag import is_complete

APPROVED, REJECTED = "date-approved", "date-rejected"  # a progress update's decision on its requested date

Params = Mapping[str, Any]


class UnknownPlan(LookupError):
    """No plan with that key has been imported."""


@dataclass(frozen=True)
class Request:
    """A requested new due date awaiting the board."""

    id: int
    plan: str
    ref: str
    current_due: str | None
    requested_due: str
    author: str
    text: str

    def as_json(self) -> dict[str, object]:
        return dict(vars(self))


class Db:
    """A connection as these reads see it: run a statement written with ``:name``
    parameters, get its rows as tuples. ``dialect`` is ``sqlite`` or ``postgresql``."""

    def __init__(self, run: Callable[[str, Params], Iterable[Sequence[Any]]], dialect: str) -> None:
        self._run = run
        self.dialect = dialect

    def rows(self, sql: str, **params: Any) -> list[Sequence[Any]]:
        if self.dialect != "sqlite":  # psycopg's paramstyle is %(name)s
            sql = re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql)
        return list(self._run(sql, params))

    def value(self, sql: str, **params: Any) -> Any:
        found = self.rows(sql, **params)
        return found[0][0] if found else None

    @classmethod
    def of(cls, conn: Any) -> Db:
        """A Db from a SQLAlchemy Connection (the full path, the ORM's session) or a Db."""
        if isinstance(conn, Db):
            return conn
        return cls(lambda sql, params: conn.exec_driver_sql(sql, dict(params)).all(), conn.dialect.name)

    @classmethod
    def of_dbapi(cls, conn: Any, dialect: str) -> Db:
        """A Db from a plain DB-API connection (``sqlite3`` or psycopg): the fast path."""
        def run(sql: str, params: Params) -> list[Sequence[Any]]:
            cursor = conn.cursor()
            try:
                cursor.execute(sql, dict(params))
                return cursor.fetchall()
            finally:
                cursor.close()
        return cls(run, dialect)


# --------------------------------------------------------------------------- decoding


def _date(value: Any) -> str | None:
    """An ISO date: SQLite stores the text, PostgreSQL returns a date."""
    if value is None:
        return None
    return value if isinstance(value, str) else value.isoformat()


def _utc(value: Any) -> dt.datetime | None:
    """A stored date-time (naive UTC, planwarden.plan.models.UTCDateTime) as aware UTC."""
    if value is None:
        return None
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=dt.timezone.utc)


def _json(value: Any) -> Any:
    """A JSON column: SQLite returns the text, psycopg the decoded value."""
    return json.loads(value) if isinstance(value, str) else value


# --------------------------------------------------------------------------- actions


def _live(plan: str | None) -> str:
    """Only actions not deleted, of the plan asked for (all plans without one). The key is
    left out of the statement when there is none: PostgreSQL cannot type a bare NULL."""
    return "a.deleted_at IS NULL" + (" AND p.key = :plan" if plan else "")


def _check_plan(db: Db, plan_key: str | None) -> None:
    if plan_key and db.value("SELECT id FROM plans WHERE key = :plan", plan=plan_key) is None:
        raise UnknownPlan(f"no plan {plan_key!r} has been imported (planwarden import FILE --plan {plan_key})")


def actions_json(conn: Any, plan_key: str | None = None) -> list[dict[str, Any]]:
    """Live actions of one plan (or all plans), in document order, in the shape PRODUCT.md
    fixes for `actions --json`. ``conn``: a SQLAlchemy Connection or a ``Db``."""
    db = Db.of(conn)
    plan = plan_key or None
    _check_plan(db, plan)
    owners = _owners_by_action(db, plan)
    updates = _updates_by_action(db, plan)
    rows = db.rows(
        "SELECT a.id, p.key, a.ref, a.section_id, s.number, s.title, a.area_id, ar.number, ar.title, a.text, "
        "a.owner_text, a.due, a.due_text, a.milestones, a.rag, a.complete, p.rating_scale, a.extra "
        "FROM actions a JOIN plans p ON p.id = a.plan_id "
        "LEFT OUTER JOIN sections s ON s.id = a.section_id LEFT OUTER JOIN areas ar ON ar.id = a.area_id "
        f"WHERE {_live(plan)} ORDER BY p.key, a.position", plan=plan)
    return [_action(r, owners[r[0]], updates[r[0]]) for r in rows]


def _action(r: Sequence[Any], owners: list[dict[str, str]], updates: list[dict[str, Any]]) -> dict[str, Any]:
    (_id, key, ref, section_id, s_number, s_title, area_id, a_number, a_title, text, owner_text, due, due_text,
     milestones, rag, complete, scale, extra) = r
    return {
        "plan": key,
        "ref": ref,
        "section": f"{s_number}. {s_title}".strip() if section_id is not None else None,
        "area": f"{a_number} {a_title}".strip() if area_id is not None else None,
        "text": text,
        "owner_text": owner_text,
        "owners": owners,
        "due": _date(due),
        "due_text": due_text,
        "milestones": list(_json(milestones) or []),
        "rag": rag,
        "complete": is_complete(rag, complete, scale),
        "extra": dict(_json(extra) or {}),
        "updates": updates,
    }


def _owners_by_action(db: Db, plan: str | None) -> dict[int, list[dict[str, str]]]:
    rows = db.rows("SELECT o.action_id, pe.name, pe.email FROM action_owners o "
                   "JOIN people pe ON pe.id = o.person_id JOIN actions a ON a.id = o.action_id "
                   f"JOIN plans p ON p.id = a.plan_id WHERE {_live(plan)} ORDER BY o.action_id, o.position",
                   plan=plan)
    found: dict[int, list[dict[str, str]]] = defaultdict(list)
    for action_id, name, email in rows:
        found[action_id].append({"name": name, "email": email})
    return found


def _updates_by_action(db: Db, plan: str | None) -> dict[int, list[dict[str, Any]]]:
    """Updates that stand (not withdrawn), by their date (undated first), then by when they
    were recorded (the order of planwarden.plan.store.update_order)."""
    rows = db.rows("SELECT u.action_id, u.date, u.text, u.rag, u.source FROM progress_updates u "
                   "JOIN actions a ON a.id = u.action_id JOIN plans p ON p.id = a.plan_id "
                   f"WHERE {_live(plan)} AND u.withdrawn_at IS NULL "
                   "ORDER BY CASE WHEN u.date IS NULL THEN 0 ELSE 1 END, u.date, u.created_at, u.id", plan=plan)
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for action_id, date, text, rag, source in rows:
        found[action_id].append({"date": _date(date), "text": text, "rag": rag, "source": source})
    return found


# --------------------------------------------------------------------------- requests


def pending_requests(conn: Any, plan_key: str | None = None) -> list[Request]:
    """Requests no decision has been recorded for, oldest first."""
    rows = Db.of(conn).rows(
        "SELECT u.id, p.key, a.ref, a.due, u.requested_due, u.author, u.text FROM progress_updates u "
        "JOIN actions a ON a.id = u.action_id JOIN plans p ON p.id = a.plan_id "
        f"WHERE u.requested_due IS NOT NULL AND u.decision NOT IN (:approved, :rejected) "
        f"AND u.withdrawn_at IS NULL AND {_live(plan_key)} ORDER BY u.created_at, u.id",
        approved=APPROVED, rejected=REJECTED, plan=plan_key)
    return [Request(id_, key, ref, _date(due), _date(requested) or "", author, text)
            for id_, key, ref, due, requested, author, text in rows]


# --------------------------------------------------------------------------- status


def plan_keys(conn: Any) -> list[str]:
    """Every imported plan's key, in order."""
    return [key for (key,) in Db.of(conn).rows("SELECT key FROM plans ORDER BY key")]


def plan_counts(conn: Any, plan_key: str, next_board: dict[str, str] | None) -> dict[str, Any]:
    """One plan's entry of `status --json`: live actions, the newest run of each job, the
    outbox by state and the quarantined replies; ``next_board`` is the caller's (it comes
    from the governance calendar, not the database)."""
    db = Db.of(conn)
    return {
        "plan": plan_key,
        "actions": db.value("SELECT count(*) FROM actions a JOIN plans p ON p.id = a.plan_id "
                            "WHERE p.key = :plan AND a.deleted_at IS NULL", plan=plan_key) or 0,
        "last_runs": last_runs(db, plan_key),
        "outbox": {state: count for state, count in db.rows(
            "SELECT state, count(*) FROM outbox WHERE plan_key = :plan GROUP BY state", plan=plan_key)},
        "quarantined": _quarantined(db, plan_key),
        "next_board": next_board,
    }


def last_runs(conn: Any, plan_key: str) -> dict[str, dict[str, Any]]:
    """The newest run of each scheduled job, by job (planwarden.orchestration.runs records them)."""
    rows = Db.of(conn).rows("SELECT job, started_at, outcome, summary FROM flow_runs WHERE id IN "
                   "(SELECT max(id) FROM flow_runs WHERE plan_key = :plan GROUP BY job) ORDER BY job", plan=plan_key)
    return {job: {"started_at": _utc(started).isoformat(), "outcome": outcome,  # type: ignore[union-attr]
                  "summary": _json(summary)} for job, started, outcome, summary in rows}


def _quarantined(db: Db, plan_key: str) -> int | None:
    """Quarantined replies awaiting the secretary (None before replies are set up)."""
    if not _has_table(db, "inbound_messages"):
        return None
    return db.value("SELECT count(*) FROM inbound_messages WHERE outcome = 'quarantined' "
                    "AND resolved_at IS NULL AND (plan_key = :plan OR plan_key IS NULL)", plan=plan_key)


def _has_table(db: Db, name: str) -> bool:
    if db.dialect == "sqlite":
        return db.value("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = :name", name=name) > 0
    return db.value("SELECT to_regclass(:name) IS NOT NULL", name=name) is True
