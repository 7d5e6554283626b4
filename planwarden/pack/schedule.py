"""When a pack is due: a configured number of working days before each board meeting.

Working days are the reminders' calendar (Monday to Friday less the plan's bank
holidays), so a pack and a reminder never disagree about what a working day is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from planwarden.core.config import Config, PlanConfig
from planwarden.calendar.governance import Occurrence, upcoming
from planwarden.reminders.workdays import WorkingCalendar

LOOKAHEAD_DAYS = 120  # far enough for any sensible working_days_before


@dataclass(frozen=True)
class DuePack:
    """A board meeting whose pack should be built on ``build_day``."""

    occurrence: Occurrence
    build_day: dt.date

    @property
    def meeting_id(self) -> str:
        return self.occurrence.meeting.id

    @property
    def dedupe_key(self) -> str:
        """One per meeting occurrence (its original date survives a move)."""
        return f"{self.meeting_id}@{self.occurrence.original.isoformat()}"


def working_days_before(day: dt.date, n: int, calendar: WorkingCalendar) -> dt.date:
    """The n-th working day before ``day`` (n = 0: ``day`` itself)."""
    current = day
    for _ in range(max(n, 0)):
        current = calendar.on_or_before(current - dt.timedelta(days=1))
    return current


def calendar_for(plan_cfg: PlanConfig) -> WorkingCalendar:
    return WorkingCalendar(plan_cfg.reminders.bank_holidays)


def board_meetings(config: Config, plan_cfg: PlanConfig, first: dt.date, last: dt.date) -> list[Occurrence]:
    return upcoming(config.governance, plan_cfg.timezone, first, last, boards_only=True, plan_key=plan_cfg.key)


def due_packs(config: Config, plan_cfg: PlanConfig, today: dt.date) -> list[DuePack]:
    """Meetings still ahead whose build day has come (a missed day is caught up)."""
    cal = calendar_for(plan_cfg)
    n = plan_cfg.pack.working_days_before
    out = []
    for occ in board_meetings(config, plan_cfg, today, today + dt.timedelta(days=LOOKAHEAD_DAYS)):
        build = working_days_before(occ.day, n, cal)
        if build <= today < occ.day or (n == 0 and build == today):
            out.append(DuePack(occ, build))
    return out


def previous_pack_day(config: Config, plan_cfg: PlanConfig, occ: Occurrence) -> dt.date | None:
    """The build day of the same board's previous meeting: what that board saw last time."""
    earlier = [o for o in board_meetings(config, plan_cfg, occ.day - dt.timedelta(days=400),
                                         occ.day - dt.timedelta(days=1))
               if o.meeting.id == occ.meeting.id]
    if not earlier:
        return None
    return working_days_before(earlier[-1].day, plan_cfg.pack.working_days_before, calendar_for(plan_cfg))
