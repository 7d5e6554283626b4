"""What a board pack says, computed once and rendered twice (PDF and DOCX).

Everything here is a pure function of the plan's recorded state at two moments (this
pack's and the previous pack's) plus the governance calendar, so the same inputs
always give the same pack, whichever day it is rebuilt.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from planwarden.core.config import Config, PlanConfig
from planwarden.core.clock import local_date
from planwarden.calendar.governance import Occurrence, upcoming
from planwarden.plan.models import ImportRun
from planwarden.pack import sources
from planwarden.pack.state import (ActionState, AreaInfo, PackError, PlanRecord, PlanState, UpdateState, day_end,
                                   states_at)

RAGS = ("red", "amber", "green", None)
GROUP_STALE_OVER = 40  # a longer "no update" list is shown per owner: a board reads 40 rows, not 1,600
TREND_MONTHS = 6
GOVERNANCE_DAYS = 92


def rag_key(rag: str | None) -> str:
    return rag if rag in ("red", "amber", "green") else "none"


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def month_end_before(day: dt.date) -> dt.date:
    """The last day of the month before ``day``'s month."""
    return day.replace(day=1) - dt.timedelta(days=1)


@dataclass(frozen=True)
class Counts:
    red: int = 0
    amber: int = 0
    green: int = 0
    none: int = 0

    @property
    def total(self) -> int:
        return self.red + self.amber + self.green + self.none

    @property
    def open(self) -> int:
        return self.total - self.green

    def as_json(self) -> dict[str, int]:
        return {"red": self.red, "amber": self.amber, "green": self.green, "none": self.none, "total": self.total}


def count(actions: list[ActionState]) -> Counts:
    tally: dict[str, int] = defaultdict(int)
    for a in actions:
        tally[rag_key(a.rag)] += 1
    return Counts(tally["red"], tally["amber"], tally["green"], tally["none"])


@dataclass
class AreaBlock:
    info: AreaInfo | None
    actions: list[ActionState]


@dataclass
class SectionBlock:
    number: str
    title: str
    areas: list[AreaBlock]
    counts: Counts

    @property
    def label(self) -> str:
        return f"{self.number}. {self.title}".strip(". ") if self.number else self.title

    @property
    def actions(self) -> list[ActionState]:
        return [a for block in self.areas for a in block.actions]


@dataclass(frozen=True)
class Flagged:
    """An action in a list of exceptions, with the fact that put it there."""

    action: ActionState
    note: str
    update: UpdateState | None = None


@dataclass(frozen=True)
class NotUpdated:
    name: str
    email: str
    refs: tuple[str, ...]
    last_reminded: dt.date
    days: int


@dataclass(frozen=True)
class GovernanceDate:
    title: str
    when: str
    day: dt.date
    location: str
    board: bool


@dataclass
class Changes:
    since: dt.date | None
    turned_green: list[Flagged] = field(default_factory=list)
    turned_red: list[Flagged] = field(default_factory=list)
    newly_overdue: list[Flagged] = field(default_factory=list)
    new_actions: list[Flagged] = field(default_factory=list)
    new_updates: list[Flagged] = field(default_factory=list)


@dataclass(frozen=True)
class OwnerGroup:
    """Actions of one owner text in a long exception list."""

    owner: str
    refs: tuple[str, ...]
    oldest: dt.date | None  # the oldest last update among them; None when one has never been updated


def by_owner(flagged: list[Flagged]) -> list[OwnerGroup]:
    """Flagged actions per owner, most actions first (then by name), refs in plan order."""
    refs: dict[str, list[str]] = defaultdict(list)
    dates: dict[str, list[dt.date | None]] = defaultdict(list)
    for f in flagged:
        owner = f.action.owner_text or "(no owner)"
        refs[owner].append(f.action.ref)
        dates[owner].append(f.update.date if f.update else None)
    groups = [OwnerGroup(o, tuple(r), None if None in dates[o] else min(d for d in dates[o] if d))
              for o, r in refs.items()]
    return sorted(groups, key=lambda g: (-len(g.refs), g.owner.casefold()))


@dataclass
class Exceptions:
    overdue: list[Flagged] = field(default_factory=list)
    red: list[Flagged] = field(default_factory=list)
    stale: list[Flagged] = field(default_factory=list)
    requested_dates: list[Flagged] = field(default_factory=list)
    quarantined: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.overdue) + len(self.red) + len(self.stale) + len(self.requested_dates) + len(self.quarantined)

    @property
    def stale_by_owner(self) -> list[OwnerGroup] | None:
        """The "no update" list per owner when it is too long to read action by action."""
        return by_owner(self.stale) if len(self.stale) > GROUP_STALE_OVER else None


@dataclass
class PackData:
    plan_key: str
    title: str
    partnership: str
    tz: str
    as_of: dt.date
    cutoff: dt.datetime
    meeting_title: str | None
    meeting_when: str | None
    meeting_date: dt.date | None
    counts: Counts
    sections: list[SectionBlock]
    changes: Changes
    exceptions: Exceptions
    due_next: list[Flagged]
    next_period: tuple[dt.date, dt.date]
    not_updated: list[NotUpdated]
    governance: list[GovernanceDate]
    trend: list[tuple[dt.date, Counts]]
    no_due_date: list[ActionState]
    unresolved_owners: list[dict[str, Any]]
    stale_days: int

    @property
    def actions(self) -> list[ActionState]:
        return [a for s in self.sections for a in s.actions]

    def counts_json(self) -> dict[str, Any]:
        return {**self.counts.as_json(),
                "sections": {s.number or "-": s.counts.as_json() for s in self.sections},
                "exceptions": {"overdue": len(self.exceptions.overdue), "red": len(self.exceptions.red),
                               "stale": len(self.exceptions.stale),
                               "requested_dates": len(self.exceptions.requested_dates),
                               "quarantined": len(self.exceptions.quarantined)},
                "changes": {"turned_green": len(self.changes.turned_green),
                            "turned_red": len(self.changes.turned_red),
                            "newly_overdue": len(self.changes.newly_overdue),
                            "new_updates": len(self.changes.new_updates)},
                "due_next": len(self.due_next), "not_updated": len(self.not_updated)}


@dataclass(frozen=True)
class PackRequest:
    """What to build: the plan as of a day, for a meeting or on demand."""

    plan_key: str
    as_of: dt.date
    cutoff: dt.datetime
    meeting: Occurrence | None = None
    previous_as_of: dt.date | None = None
    period_end: dt.date | None = None


# --------------------------------------------------------------------------- assembling


def compute(session: Session, config: Config, record: PlanRecord, request: PackRequest) -> PackData:
    """The whole pack's content from the record, at the request's cutoff."""
    plan_cfg = config.plan(request.plan_key)
    tz = record.tz
    if request.cutoff < record.start:
        first = local_date(record.start, tz)
        raise PackError(f"plan {request.plan_key!r} has no recorded state before {first:%d %B %Y}; "
                        f"cannot build a pack as of {request.as_of:%d %B %Y}")
    previous = request.previous_as_of
    prev_cutoff = day_end(previous, tz) if previous else None
    if prev_cutoff is not None and prev_cutoff < record.start:
        previous, prev_cutoff = None, None
    trend_days = _trend_days(request.as_of, record, tz)
    moments = [request.cutoff, *([prev_cutoff] if prev_cutoff else []), *(day_end(d, tz) for d in trend_days)]
    states = states_at(record, [m for m in moments if m <= request.cutoff])
    now = states[request.cutoff]
    before = states.get(prev_cutoff) if prev_cutoff else None
    sections = group(record, now.actions)
    period_end = request.period_end or _period_end(request.as_of)
    return PackData(
        plan_key=request.plan_key, title=plan_cfg.title or record.plan.title or request.plan_key,
        partnership=plan_cfg.partnership or record.plan.partnership, tz=tz, as_of=request.as_of,
        cutoff=request.cutoff,
        meeting_title=request.meeting.meeting.title if request.meeting else None,
        meeting_when=_when(request.meeting) if request.meeting else None,
        meeting_date=request.meeting.day if request.meeting else None,
        counts=count(now.actions), sections=sections,
        changes=changes(now, before, request.as_of, previous),
        exceptions=exceptions(session, request.plan_key, now, request.as_of, plan_cfg),
        due_next=due_between(now, request.as_of, period_end), next_period=(request.as_of, period_end),
        not_updated=not_updated(session, request.plan_key, now, request.as_of, tz),
        governance=governance_dates(config, plan_cfg, request.as_of),
        trend=[(d, count(states[day_end(d, tz)].actions)) for d in trend_days if day_end(d, tz) in states]
        + [(request.as_of, count(now.actions))],
        no_due_date=[a for a in now.actions if a.open and a.due is None],
        unresolved_owners=_unresolved(session, record, request.cutoff), stale_days=plan_cfg.pack.stale_after_days)


def _period_end(as_of: dt.date) -> dt.date:
    """The next period by default: to the end of the following month."""
    nxt = as_of.replace(day=1) + dt.timedelta(days=32)
    return month_end(nxt.year, nxt.month)


def _trend_days(as_of: dt.date, record: PlanRecord, tz: str) -> list[dt.date]:
    """Month ends before ``as_of`` (up to six) at which the plan already existed."""
    days: list[dt.date] = []
    day = as_of
    for _ in range(TREND_MONTHS - 1):
        day = month_end_before(day)
        if day_end(day, tz) < record.start:
            break
        days.append(day)
    return sorted(days)


def _when(occ: Occurrence) -> str:
    if isinstance(occ.start, dt.datetime):
        return f"{occ.start:%A %-d %B %Y, %H:%M}"
    return f"{occ.start:%A %-d %B %Y}"


def group(record: PlanRecord, actions: list[ActionState]) -> list[SectionBlock]:
    """Sections and areas in document order; actions outside them are kept, never dropped."""
    by_area: dict[str | None, list[ActionState]] = defaultdict(list)
    by_section: dict[str | None, list[ActionState]] = defaultdict(list)
    known_areas = {a.number for s in record.sections for a in s.areas}
    known_sections = {s.number for s in record.sections}
    for a in actions:
        if a.area in known_areas:
            by_area[a.area].append(a)
        elif a.section in known_sections:
            by_section[a.section].append(a)
        else:
            by_section[None].append(a)
    blocks = []
    for s in record.sections:
        areas = [AreaBlock(info, by_area[info.number]) for info in s.areas]
        if by_section[s.number]:
            areas.insert(0, AreaBlock(None, by_section[s.number]))
        blocks.append(SectionBlock(s.number, s.title, areas, count([a for b in areas for a in b.actions])))
    if by_section[None]:
        blocks.append(SectionBlock("", "Actions outside any section", [AreaBlock(None, by_section[None])],
                                   count(by_section[None])))
    return blocks


def overdue(action: ActionState, day: dt.date) -> bool:
    return action.open and action.due is not None and action.due < day


def changes(now: PlanState, before: PlanState | None, as_of: dt.date, since: dt.date | None) -> Changes:
    """What moved between the previous pack and this one."""
    out = Changes(since)
    if before is None or since is None:
        return out
    prior = {a.action_id: a for a in before.actions}
    for a in now.actions:
        old = prior.get(a.action_id)
        if old is None:
            out.new_actions.append(Flagged(a, "new action"))
        elif a.rag == "green" and old.rag != "green":
            out.turned_green.append(Flagged(a, f"was {_rag_word(old.rag)}"))
        elif a.rag == "red" and old.rag != "red":
            out.turned_red.append(Flagged(a, f"was {_rag_word(old.rag)}"))
        if overdue(a, as_of) and (old is None or not overdue(old, since)):
            out.newly_overdue.append(Flagged(a, f"due {a.due:%-d %B %Y}"))
        for u in a.updates:
            if u.at > before.cutoff:
                out.new_updates.append(Flagged(a, f"{u.date:%-d %b %Y}", u))
    return out


def _rag_word(rag: str | None) -> str:
    return rag if rag else "not rated"


def exceptions(session: Session, plan_key: str, now: PlanState, as_of: dt.date, plan_cfg: PlanConfig) -> Exceptions:
    """What the board should look at first."""
    out = Exceptions()
    stale_days = plan_cfg.pack.stale_after_days
    for a in now.actions:
        if overdue(a, as_of):
            out.overdue.append(Flagged(a, f"{(as_of - a.due).days} days overdue"))  # type: ignore[operator]
        if a.rag == "red":
            out.red.append(Flagged(a, "red"))
        last = a.last_update
        if a.open and (last is None or (as_of - last.date).days > stale_days):
            out.stale.append(Flagged(a, "no update recorded" if last is None
                                     else f"last update {last.date:%-d %b %Y} ({(as_of - last.date).days} days)", last))
        request = awaiting_date(a)
        if request is not None:
            out.requested_dates.append(Flagged(a, f"asks for {request.requested_due:%-d %B %Y}", request))
    out.quarantined = sources.quarantined(session, plan_key, now.cutoff)
    return out


def awaiting_date(action: ActionState) -> UpdateState | None:
    """The latest requested new due date not yet decided (approved, rejected, or
    followed by a change of due date)."""
    for u in reversed(action.updates):
        if u.requested_due is not None:
            if u.id in action.decided_requests:
                return None
            if action.due_changed_at is not None and action.due_changed_at >= u.at:
                return None
            return None if action.due == u.requested_due else u
    return None


def due_between(now: PlanState, after: dt.date, last: dt.date) -> list[Flagged]:
    found = [a for a in now.actions if a.open and a.due is not None and after < a.due <= last]
    return [Flagged(a, f"{a.due:%-d %b %Y}") for a in sorted(found, key=lambda a: (a.due, a.position))]


def not_updated(session: Session, plan_key: str, now: PlanState, as_of: dt.date, tz: str) -> list[NotUpdated]:
    """Recipients of a reminder who have not updated that action since (open actions only)."""
    actions = {a.action_id: a for a in now.actions if a.open}
    latest: dict[tuple[str, str], dict[int, dt.datetime]] = defaultdict(dict)
    for r in sources.reminders(session, plan_key, now.cutoff):
        action = actions.get(r["action_id"])
        if action is None or any(u.at > r["at"] for u in action.updates):
            continue
        for person in r["recipients"]:
            seen = latest[person].get(action.action_id)
            latest[person][action.action_id] = max(seen, r["at"]) if seen else r["at"]
    out = []
    for (name, email), items in latest.items():
        last = local_date(max(items.values()), tz)
        refs = tuple(actions[i].ref for i in sorted(items, key=lambda i: actions[i].position))
        out.append(NotUpdated(name or email, email, refs, last, (as_of - last).days))
    return sorted(out, key=lambda n: (-n.days, n.name.lower()))


def governance_dates(config: Config, plan_cfg: PlanConfig, as_of: dt.date) -> list[GovernanceDate]:
    found = upcoming(config.governance, plan_cfg.timezone, as_of + dt.timedelta(days=1),
                     as_of + dt.timedelta(days=GOVERNANCE_DAYS))
    return [GovernanceDate(o.meeting.title, _when(o), o.day, o.meeting.location, o.meeting.board) for o in found]


def _unresolved(session: Session, record: PlanRecord, cutoff: dt.datetime) -> list[dict[str, Any]]:
    """Owners the import in force at the cutoff could not resolve (its run record says).

    A backdated first import (imported after its document's date) is in force from
    that date, so when no run was recorded by the cutoff the first run counts.
    """
    runs = list(session.scalars(select(ImportRun).where(ImportRun.plan_id == record.plan.id)
                                .order_by(ImportRun.at, ImportRun.id)))
    done = [r for r in runs if r.at <= cutoff] or runs[:1]
    return list(done[-1].unresolved_owners or []) if done else []
