"""What the console's pages show, read with a few light queries (no web framework here).

The plan page and the dashboard must stay fast on a 2,000-action plan, so they read
plain columns rather than whole ORM objects: one query for actions, one for the latest
update of each, one for owners.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from planwarden.core import clock
from planwarden.core.config import Config
from planwarden.plan.decisions import pending
from planwarden.calendar.governance import next_board
from planwarden.plan import rag as ratings
from planwarden.plan.models import Action, ActionOwner, History, ImportRun, Person, Plan, ProgressUpdate, Section
from planwarden.pack import schedule
from planwarden.replies.models import InboundMessage

PAGE_SIZE = 100
SORTS = ("ref", "section", "owner", "due", "rag", "updated")
DUE_SOON_DAYS = 14


@dataclass
class Row:
    id: int
    ref: str
    position: int
    text: str
    section: str
    owner_text: str
    owners: list[str]
    due: dt.date | None
    due_text: str
    rag: str | None
    complete: bool = False
    scale: str = "rag"
    last_update: dt.date | None = None
    overdue: bool = False
    due_soon: bool = False

    @property
    def open(self) -> bool:
        return not ratings.is_complete(self.rag, self.complete, self.scale)

    @property
    def shown(self) -> str | None:
        """The rating to show: Blue for a complete action on a BRAG plan (``plan.rag``)."""
        return ratings.display(self.rag, self.complete, self.scale)

    @property
    def who(self) -> list[str]:
        return self.owners or [self.owner_text or "(no owner)"]


@dataclass
class Filters:
    section: str = ""
    owner: str = ""
    rag: str = ""
    overdue: bool = False
    sort: str = "ref"
    desc: bool = False

    def keep(self, row: Row) -> bool:
        if self.section and row.section.split(".")[0] != self.section:
            return False
        if self.owner and self.owner.lower() not in (row.owner_text + " " + " ".join(row.owners)).lower():
            return False
        if self.rag and (row.shown or "none") != self.rag:
            return False
        return not self.overdue or row.overdue


_cache: dict[str, tuple[tuple[Any, ...], list[Row]]] = {}
_cache_lock = threading.Lock()


def plan_rows(session: Session, plan_key: str, today: dt.date) -> list[Row]:
    """Every live action of the plan with its latest update's date, in document order.

    Kept per process until the plan changes: every change to an action writes a history
    row, and an import writes an import run, so the newest of each is the version. Rows
    are shared between requests: callers must not change them.
    """
    plan_id = session.scalar(select(Plan.id).where(Plan.key == plan_key))
    if plan_id is None:
        return []
    version = (today, plan_id, session.scalar(select(func.max(History.id)).where(History.plan_id == plan_id)),
               session.scalar(select(func.max(ImportRun.id)).where(ImportRun.plan_id == plan_id)))
    with _cache_lock:
        hit = _cache.get(plan_key)
    if hit is not None and hit[0] == version:
        return hit[1]
    rows = _read_rows(session, plan_id, today)
    with _cache_lock:
        _cache[plan_key] = (version, rows)
    return rows


def _read_rows(session: Session, plan_id: int, today: dt.date) -> list[Row]:
    sections = {sid: f"{num}. {title}".strip() for sid, num, title in
                session.execute(select(Section.id, Section.number, Section.title).where(Section.plan_id == plan_id))}
    scale = session.scalar(select(Plan.rating_scale).where(Plan.id == plan_id)) or "rag"
    rows = {a.id: Row(a.id, a.ref, a.position, a.text, sections.get(a.section_id, ""), a.owner_text, [], a.due,
                      a.due_text, a.rag, bool(a.complete), scale)
            for a in session.execute(select(Action.id, Action.ref, Action.position, Action.text, Action.section_id,
                                            Action.owner_text, Action.due, Action.due_text, Action.rag,
                                            Action.complete)
                                     .where(Action.plan_id == plan_id, Action.deleted_at.is_(None)))}
    latest = select(ProgressUpdate.action_id, func.max(func.coalesce(ProgressUpdate.date,
                                                                     func.date(ProgressUpdate.created_at))))
    for action_id, day in session.execute(latest.join(Action).where(Action.plan_id == plan_id,
                                                                    ProgressUpdate.withdrawn_at.is_(None))
                                          .group_by(ProgressUpdate.action_id)):
        if action_id in rows and day is not None:
            rows[action_id].last_update = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10])
    for action_id, name in session.execute(select(ActionOwner.action_id, Person.name).join(Person).join(Action)
                                           .where(Action.plan_id == plan_id).order_by(ActionOwner.position)):
        if action_id in rows:
            rows[action_id].owners.append(name)
    for row in rows.values():
        row.overdue = bool(row.open and row.due and row.due < today)
        row.due_soon = bool(row.open and row.due and today <= row.due <= today + dt.timedelta(days=DUE_SOON_DAYS))
    return sorted(rows.values(), key=lambda r: (r.position, r.ref))


def sort_rows(rows: list[Row], sort: str, desc: bool) -> list[Row]:
    keys: dict[str, Any] = {
        "ref": lambda r: r.position,
        "section": lambda r: (r.section, r.position),
        "owner": lambda r: (", ".join(r.who).lower(), r.position),
        "due": lambda r: (r.due is None, r.due or dt.date.max, r.position),
        "rag": lambda r: (ratings.sort_key(r.rag, r.complete, r.scale), r.position),
        "updated": lambda r: (r.last_update is None, r.last_update or dt.date.min, r.position),
    }
    return sorted(rows, key=keys.get(sort, keys["ref"]), reverse=desc)


@dataclass
class Dashboard:
    plan: str
    title: str
    today: dt.date
    total: int
    rag: dict[str, int]
    sections: list[dict[str, Any]]
    overdue: list[Row]
    due_soon: list[Row]
    not_updated: list[dict[str, Any]]
    quarantined: int
    requests: int
    next_board: dict[str, str] | None
    stale_after_days: int = 30
    scale: str = "rag"
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        def brief(r: Row) -> dict[str, Any]:
            return {"ref": r.ref, "text": r.text, "owners": r.who, "due": r.due.isoformat() if r.due else None,
                    "rag": r.rag, "complete": not r.open}
        return {"plan": self.plan, "title": self.title, "scale": self.scale, "today": self.today.isoformat(), "total": self.total,
                "rag": self.rag, "sections": self.sections, "overdue": [brief(r) for r in self.overdue],
                "due_soon": [brief(r) for r in self.due_soon], "not_updated": self.not_updated,
                "quarantined": self.quarantined, "requests": self.requests, "next_board": self.next_board}


def dashboard(session: Session, config: Config, plan_key: str) -> Dashboard:
    """One plan at a glance: ratings by section, what is late, who is silent, what waits."""
    plan_cfg = config.plan(plan_key)
    today = clock.today(plan_cfg.timezone)
    rows = plan_rows(session, plan_key, today)
    title = session.scalar(select(Plan.title).where(Plan.key == plan_key)) or plan_cfg.title or plan_key
    stale = plan_cfg.pack.stale_after_days
    return Dashboard(plan_key, title, today, len(rows), _rag_counts(rows), _by_section(rows),
                     sorted((r for r in rows if r.overdue), key=lambda r: (r.due, r.position)),
                     sorted((r for r in rows if r.due_soon), key=lambda r: (r.due, r.position)),
                     _not_updated(rows, today, stale), _quarantined(session, plan_key),
                     len(pending(session, plan_key)), _next_board(config, plan_key, today), stale,
                     rows[0].scale if rows else "rag")


def _rag_counts(rows: list[Row]) -> dict[str, int]:
    counts = _empty(rows)
    for r in rows:
        counts[r.shown or "none"] += 1
    return counts


def _empty(rows: list[Row]) -> dict[str, int]:
    """Zero counts in the plan's scale: Blue (complete) first on a BRAG plan."""
    keys = ("blue", "red", "amber", "green", "none") if rows and rows[0].scale == "brag" else (
        "red", "amber", "green", "none")
    return dict.fromkeys(keys, 0)


def _by_section(rows: list[Row]) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = out.setdefault(r.section or "(no section)", {"section": r.section or "(no section)", **_empty(rows)})
        entry[r.shown or "none"] += 1
    return list(out.values())


def _not_updated(rows: list[Row], today: dt.date, stale_days: int) -> list[dict[str, Any]]:
    """Owners with an open action and no update for ``stale_days`` days (or never)."""
    limit = today - dt.timedelta(days=stale_days)
    silent: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        if r.open and (r.last_update is None or r.last_update < limit):
            for who in r.who:
                silent[who].append(r.ref)
    return [{"owner": who, "refs": refs} for who, refs in sorted(silent.items(), key=lambda kv: (-len(kv[1]), kv[0]))]


def _quarantined(session: Session, plan_key: str) -> int:
    return session.scalar(select(func.count()).select_from(InboundMessage)
                          .where(InboundMessage.outcome == "quarantined", InboundMessage.resolved_at.is_(None),
                                 InboundMessage.plan_key.in_((plan_key, "")))) or 0


def _next_board(config: Config, plan_key: str, today: dt.date) -> dict[str, str] | None:
    plan_cfg = config.plan(plan_key)
    board = next_board(config.governance, plan_cfg.timezone, today, plan_key)
    if board is None:
        return None
    build = schedule.working_days_before(board.day, plan_cfg.pack.working_days_before, schedule.calendar_for(plan_cfg))
    return {"meeting": board.meeting.title, "date": board.day.isoformat(), "pack_date": build.isoformat()}
