"""The plan as it stood at a moment, rebuilt from the history alone.

The live tables say how the plan is *now*; a board pack must show how it was on its
date, and a pack rebuilt next year must be identical. So the state is replayed from
the append-only ``History`` rows: a ``created`` row carries a full snapshot, later
rows change one field, ``update`` rows add a progress update.

Imported documents are dated ("Date of progress updates: 14 December 2022"). A
document imported after that date describes the plan as it stood on it, so an
import's changes count from the start of the document's date (never before a change
recorded earlier: effective times keep the recorded order). That is what lets the
example plan, imported today, give its December 2022 pack.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from planwarden.plan.models import Action, Area, History, Plan, ProgressUpdate, Section
from planwarden.plan.store import TRACKED


class PackError(Exception):
    """A pack that cannot be built as asked: the message says why, for people."""


@dataclass(frozen=True)
class UpdateState:
    id: int
    date: dt.date  # the date the update is dated (or recorded)
    text: str
    rag: str | None
    source: str
    author: str
    requested_due: dt.date | None
    at: dt.datetime  # effective moment it entered the record


@dataclass
class ActionState:
    action_id: int
    ref: str
    position: int
    text: str = ""
    owner_text: str = ""
    due: dt.date | None = None
    due_text: str = ""
    milestones: list[str] = field(default_factory=list)
    rag: str | None = None
    section: str | None = None
    area: str | None = None
    updates: list[UpdateState] = field(default_factory=list)
    due_changed_at: dt.datetime | None = None
    decided_requests: set[int] = field(default_factory=set)  # update ids the board has ruled on
    deleted: bool = False

    @property
    def open(self) -> bool:
        return self.rag != "green"

    @property
    def last_update(self) -> UpdateState | None:
        return self.updates[-1] if self.updates else None


@dataclass(frozen=True)
class AreaInfo:
    number: str
    title: str
    priority_action: str
    what_needs_to_improve: str
    what_inspectors_found: str
    section: str


@dataclass(frozen=True)
class SectionInfo:
    number: str
    title: str
    areas: tuple[AreaInfo, ...]


@dataclass
class PlanState:
    """The plan at ``cutoff``: its actions in document order."""

    cutoff: dt.datetime
    actions: list[ActionState]


@dataclass
class PlanRecord:
    """Everything read from the store once; states at any moment are replayed from it."""

    plan: Plan
    sections: list[SectionInfo]
    rows: list[tuple[dt.datetime, History]]  # (effective moment, row), in recorded order
    updates: dict[int, ProgressUpdate]
    loose_updates: list[ProgressUpdate]  # updates no history row mentions (tolerated)
    positions: dict[int, int]
    start: dt.datetime  # the first moment the plan has a recorded state

    @property
    def tz(self) -> str:
        return self.plan.timezone or "Europe/London"


def day_end(day: dt.date, tz: str) -> dt.datetime:
    """The last moment of a local day, in UTC: 'as of D' means at the end of D."""
    nxt = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZoneInfo(tz))
    return (nxt - dt.timedelta(microseconds=1)).astimezone(dt.timezone.utc)


def day_start(day: dt.date, tz: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), ZoneInfo(tz)).astimezone(dt.timezone.utc)



def load_record(session: Session, plan_key: str) -> PlanRecord:
    """Read the plan's history, updates and structure in a few queries."""
    plan = session.scalar(select(Plan).where(Plan.key == plan_key))
    if plan is None:
        raise PackError(f"no plan {plan_key!r} has been imported (planwarden import FILE --plan {plan_key})")
    history = list(session.scalars(select(History).where(History.plan_id == plan.id)
                                   .order_by(History.at, History.id)))
    updates = {u.id: u for u in session.scalars(
        select(ProgressUpdate).join(Action).where(Action.plan_id == plan.id))}
    positions = {i: pos for i, pos in session.execute(select(Action.id, Action.position).where(Action.plan_id == plan.id))}
    mentioned = {h.new.get("id") for h in history if h.field == "update" and isinstance(h.new, dict)}
    loose = sorted((u for u in updates.values() if u.id not in mentioned), key=lambda u: (u.created_at, u.id))
    rows = _effective(history, _document_dates(history, updates, plan), plan.timezone or "Europe/London")
    start = _start(plan, rows)
    return PlanRecord(plan, _sections(session, plan.id), rows, updates, loose, positions, start)


def _document_dates(history: Sequence[History], updates: dict[int, ProgressUpdate],
                    plan: Plan) -> dict[dt.datetime, dt.date]:
    """Import batch moment -> the date its document states (from the updates it added)."""
    dates: dict[dt.datetime, dt.date] = {}
    for h in history:
        if h.source == "import" and h.field == "update" and isinstance(h.new, dict):
            u = updates.get(h.new.get("id"))  # type: ignore[arg-type]
            if u is not None and u.date is not None:
                dates[h.at] = max(dates.get(h.at, u.date), u.date)
    imports = [h.at for h in history if h.source == "import"]
    if imports and plan.update_date and max(imports) not in dates:
        dates[max(imports)] = plan.update_date  # the latest import set the plan's document date
    return dates


def _effective(history: Sequence[History], doc_dates: dict[dt.datetime, dt.date],
               tz: str) -> list[tuple[dt.datetime, History]]:
    """Backdate imported rows to their document's date, keeping the recorded order."""
    out: list[tuple[dt.datetime, History]] = []
    floor: dt.datetime | None = None
    for h in history:
        moment = h.at
        if h.source == "import" and h.at in doc_dates:
            moment = min(moment, day_start(doc_dates[h.at], tz))
        if floor is not None and moment < floor:
            moment = floor
        floor = moment
        out.append((moment, h))
    return out


def _start(plan: Plan, rows: Sequence[tuple[dt.datetime, History]]) -> dt.datetime:
    if rows:
        return rows[0][0]
    start = plan.created_at
    if plan.update_date:
        start = min(start, day_start(plan.update_date, plan.timezone or "Europe/London"))
    return start


def _sections(session: Session, plan_id: int) -> list[SectionInfo]:
    """Sections and areas as they are now (their texts are not historised)."""
    areas: dict[int, list[Area]] = defaultdict(list)
    for a in session.scalars(select(Area).where(Area.plan_id == plan_id).order_by(Area.position, Area.id)):
        areas[a.section_id].append(a)
    out = []
    for s in session.scalars(select(Section).where(Section.plan_id == plan_id).order_by(Section.position, Section.id)):
        out.append(SectionInfo(s.number, s.title, tuple(
            AreaInfo(a.number, a.title, a.priority_action, a.what_needs_to_improve, a.what_inspectors_found,
                     s.number) for a in areas[s.id])))
    return out


def states_at(record: PlanRecord, cutoffs: Iterable[dt.datetime]) -> dict[dt.datetime, PlanState]:
    """The plan at each cutoff, in one pass over the history."""
    wanted = sorted(set(cutoffs))
    actions: dict[int, ActionState] = {}
    out: dict[dt.datetime, PlanState] = {}
    rows, loose = record.rows, record.loose_updates
    i = j = 0
    for cutoff in wanted:
        while i < len(rows) and rows[i][0] <= cutoff:
            _apply(actions, rows[i][0], rows[i][1], record)
            i += 1
        while j < len(loose) and loose[j].created_at <= cutoff:
            _add_update(actions.get(loose[j].action_id), loose[j], loose[j].created_at)
            j += 1
        out[cutoff] = _freeze(actions, cutoff, record.positions)
    return out


def state_at(record: PlanRecord, cutoff: dt.datetime) -> PlanState:
    return states_at(record, [cutoff])[cutoff]


def _apply(actions: dict[int, ActionState], moment: dt.datetime, h: History, record: PlanRecord) -> None:
    if h.action_id is None:
        return
    if h.field == "created":
        state = actions[h.action_id] = ActionState(h.action_id, h.ref, record.positions.get(h.action_id, 0))
        for name, value in (h.new or {}).items():
            _set(state, name, value, moment)
        return
    state = actions.get(h.action_id)
    if state is None:
        return
    if h.field == "update":
        _add_update(state, record.updates.get((h.new or {}).get("id")), moment, h.new)
    elif h.field == "deleted":
        state.deleted = bool(h.new)
    elif h.field == "date-request" and isinstance(h.new, dict):  # planwarden.plan.decisions
        state.decided_requests.add(int(h.new.get("update_id", 0)))
    elif h.field in TRACKED:
        _set(state, h.field, h.new, moment)
        if h.field == "due":
            state.due_changed_at = moment
    if h.ref:
        state.ref = h.ref


def _set(state: ActionState, name: str, value: Any, moment: dt.datetime) -> None:
    if name == "due":
        state.due = dt.date.fromisoformat(value) if value else None
    elif name == "milestones":
        state.milestones = list(value or [])
    elif name in TRACKED:
        setattr(state, name, value if value is not None or name in ("rag", "section", "area") else "")


def _add_update(state: ActionState | None, row: ProgressUpdate | None, moment: dt.datetime,
                fallback: dict[str, Any] | None = None) -> None:
    """Add an update; the history's own copy serves if the row has gone."""
    if state is None:
        return
    if row is None:
        fallback = fallback or {}
        state.updates.append(UpdateState(int(fallback.get("id") or 0), moment.date(), str(fallback.get("text", "")),
                                         fallback.get("rag"), "", "", None, moment))
        return
    date = row.date or moment.date()
    state.updates.append(UpdateState(row.id, date, row.text, row.rag, row.source, row.author, row.requested_due,
                                     moment))
    state.updates.sort(key=lambda u: (u.date, u.at, u.id))


def _freeze(actions: dict[int, ActionState], cutoff: dt.datetime, positions: dict[int, int]) -> PlanState:
    """A copy, so later replay does not change a state already handed out."""
    live = [a for a in actions.values() if not a.deleted]
    copies = [ActionState(a.action_id, a.ref, positions.get(a.action_id, a.position), a.text, a.owner_text, a.due,
                          a.due_text, list(a.milestones), a.rag, a.section, a.area, list(a.updates),
                          a.due_changed_at, set(a.decided_requests)) for a in live]
    copies.sort(key=lambda a: (a.position, a.ref))
    return PlanState(cutoff, copies)
