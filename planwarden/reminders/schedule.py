"""The reminder schedule: which reminders are due today. Pure: no clock, no database.

The rules (PRODUCT.md, "Reminders and escalation"), for an open (not green) action
with due date d, all numbers configurable per plan:

- **ahead** on d−14 and d−3 and **due** on d, each moved to the previous working day;
- **overdue** on the first working day after d, then again ``overdue_repeat_days``
  after the last overdue reminder *sent* (moved to the next working day);
- an overdue reminder sent ``escalate_after_days`` or more after d is an **escalation**;
- on day t at most one reminder per action: the latest stage reached by t, if not yet
  sent for this due date; earlier unsent stages are skipped (no backlog);
- no due date: one **no-due-date** request per calendar month;
- a run on a day that is not a working day sends nothing; green actions get nothing.

What was sent is keyed by the due date, so a changed due date starts the stages again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from planwarden.plan.rag import is_complete
from planwarden.reminders.workdays import WorkingCalendar, shift

Kind = Literal["ahead", "due", "overdue", "escalation", "no-due-date"]
KINDS: tuple[Kind, ...] = ("ahead", "due", "overdue", "escalation", "no-due-date")
OVERDUE, DUE, NO_DUE_DATE = "overdue", "due", "no-due-date"


@dataclass(frozen=True)
class Rules:
    """The numbers of the schedule (ReminderSettings, as plain values)."""

    ahead_days: tuple[int, ...] = (14, 3)
    overdue_repeat_days: int = 7
    escalate_after_days: int = 14
    no_due_date_monthly: bool = True

    @classmethod
    def from_settings(cls, settings: object) -> Rules:
        """From a ``ReminderSettings`` (duck-typed so this module needs no config import)."""
        ahead = tuple(sorted({int(d) for d in getattr(settings, "ahead_days") if int(d) > 0}, reverse=True))
        return cls(ahead, max(1, int(getattr(settings, "overdue_repeat_days"))),
                   int(getattr(settings, "escalate_after_days")), bool(getattr(settings, "no_due_date_monthly")))


@dataclass(frozen=True)
class ActionState:
    """What the schedule needs to know about one action."""

    action_id: int
    ref: str
    due: dt.date | None
    rag: str | None
    complete: bool = False  # Action.complete (what Blue means on a BRAG plan)
    scale: str = "rag"  # the plan's rating scale


@dataclass(frozen=True)
class Sent:
    """One reminder already sent (a ``reminder_log`` row)."""

    action_id: int
    stage: str  # "ahead-14", "ahead-3", "due", "overdue", "no-due-date"
    due: dt.date | None
    occurrence: int  # overdue: 1, 2, ...; no-due-date: yyyymm; others: 0
    sent_on: dt.date


@dataclass(frozen=True)
class Reminder:
    """One reminder due today for one action."""

    action_id: int
    ref: str
    kind: Kind
    stage: str
    due: dt.date | None
    occurrence: int
    days: int | None  # today − due: negative = days left, positive = days overdue

    @property
    def key(self) -> tuple[int, str, str, int]:
        """The unique key of the reminder log: (action, stage, due date, occurrence)."""
        return (self.action_id, self.stage, due_key(self.due), self.occurrence)


def due_key(due: dt.date | None) -> str:
    return due.isoformat() if due else "none"


def is_open(rag: str | None, complete: bool = False, scale: str = "rag") -> bool:
    """Open until complete, by the one rule (planwarden.plan.rag): green under RAG, Blue under BRAG."""
    return not is_complete(rag, complete, scale)


def reminders_due(actions: Iterable[ActionState], sent: Iterable[Sent], today: dt.date,
                  calendar: WorkingCalendar, rules: Rules = Rules()) -> list[Reminder]:
    """Every reminder to send on ``today``: at most one per action, in the order given."""
    if not calendar.is_working_day(today):
        return []
    history: dict[int, list[Sent]] = defaultdict(list)
    for s in sent:
        history[s.action_id].append(s)
    out: list[Reminder] = []
    for action in actions:
        if not is_open(action.rag, action.complete, action.scale):
            continue
        reminder = _for_action(action, history.get(action.action_id, []), today, calendar, rules)
        if reminder is not None:
            out.append(reminder)
    return out


def _for_action(action: ActionState, history: Sequence[Sent], today: dt.date, calendar: WorkingCalendar,
                rules: Rules) -> Reminder | None:
    if action.due is None:
        return _no_due_date(action, history, today, rules)
    mine = [s for s in history if s.due == action.due]  # a new due date restarts the stages
    stage = latest_stage(action.due, mine, today, calendar, rules)
    if stage is None:
        return None
    name, occurrence = stage
    if any(s.stage == name and s.occurrence == occurrence for s in mine):
        return None
    days = (today - action.due).days
    kind: Kind
    if name == OVERDUE:
        kind = "escalation" if days >= rules.escalate_after_days else "overdue"
    else:
        kind = "due" if name == DUE else "ahead"
    return Reminder(action.action_id, action.ref, kind, name, action.due, occurrence, days)


def _no_due_date(action: ActionState, history: Sequence[Sent], today: dt.date, rules: Rules) -> Reminder | None:
    if not rules.no_due_date_monthly:
        return None
    month = today.year * 100 + today.month
    if any(s.stage == NO_DUE_DATE and s.occurrence == month for s in history):
        return None
    return Reminder(action.action_id, action.ref, "no-due-date", NO_DUE_DATE, None, month, None)


def latest_stage(due: dt.date, sent: Sequence[Sent], today: dt.date, calendar: WorkingCalendar,
                 rules: Rules) -> tuple[str, int] | None:
    """The latest stage reached by ``today`` for this due date, as (stage, occurrence).

    Overdue reminders repeat from the day the last one was actually sent, so after
    downtime the next one comes a full interval after the late one, not at once.
    """
    overdue = [s for s in sent if s.stage == OVERDUE]
    if overdue:
        last = max(overdue, key=lambda s: s.occurrence)
        following = calendar.on_or_after(shift(last.sent_on, rules.overdue_repeat_days))
        return (OVERDUE, last.occurrence + 1) if today >= following else (OVERDUE, last.occurrence)
    if today >= calendar.after(due):
        return (OVERDUE, 1)
    if today >= calendar.on_or_before(due):
        return (DUE, 0)
    for days in sorted(rules.ahead_days):  # the stage nearest the due date first
        if today >= calendar.on_or_before(shift(due, -days)):
            return (f"ahead-{days}", 0)
    return None


def stage_dates(due: dt.date, calendar: WorkingCalendar, rules: Rules = Rules(), overdue_count: int = 3,
                ) -> list[tuple[str, dt.date]]:
    """The dates of every stage when each reminder is sent on its day (for docs and checks)."""
    dates = [(f"ahead-{d}", calendar.on_or_before(shift(due, -d))) for d in sorted(rules.ahead_days, reverse=True)]
    dates.append((DUE, calendar.on_or_before(due)))
    sent_on = calendar.after(due)
    for n in range(1, overdue_count + 1):
        kind = "escalation" if (sent_on - due).days >= rules.escalate_after_days else OVERDUE
        dates.append((f"{kind}-{n}", sent_on))
        sent_on = calendar.on_or_after(shift(sent_on, rules.overdue_repeat_days))
    return dates
