"""The governance calendar as dated occurrences: when each board actually meets.

Series are expanded only inside a window, so an RRULE that never ends is fine.
Times in the config are local wall-clock times in the plan's timezone, which is
what keeps a 10:00 meeting at 10:00 across the March and October clock changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from planwarden.core.config import GovernanceConfig, MeetingConfig

DEFAULT_MINUTES = 120
BOARD_HORIZON_DAYS = 400  # how far ahead next_board looks


@dataclass(frozen=True)
class Occurrence:
    meeting: MeetingConfig
    start: dt.datetime | dt.date  # aware datetime, or a date for all-day events
    end: dt.datetime | dt.date  # exclusive: for all-day events the day after the last day
    original: dt.date  # the date the series put it on (RECURRENCE-ID), before any move
    moved: bool = False

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, dt.datetime)

    @property
    def day(self) -> dt.date:
        return self.start.date() if isinstance(self.start, dt.datetime) else self.start


def is_all_day(meeting: MeetingConfig) -> bool:
    return not isinstance(meeting.start, dt.datetime)


def _length(meeting: MeetingConfig) -> dt.timedelta:
    if is_all_day(meeting):
        last = meeting.end if isinstance(meeting.end, dt.date) else meeting.start
        return (last - meeting.start) + dt.timedelta(days=1)  # type: ignore[operator]
    if isinstance(meeting.end, dt.datetime):
        return meeting.end - meeting.start  # type: ignore[operator]
    return dt.timedelta(minutes=meeting.duration_minutes or DEFAULT_MINUTES)


def series_dates(meeting: MeetingConfig, first: dt.date, last: dt.date) -> list[dt.date]:
    """Dates the series (rule + explicit dates, less cancellations) falls on, in [first, last]."""
    start_day = meeting.start if is_all_day(meeting) else meeting.start.date()  # type: ignore[union-attr]
    days = {start_day}
    if meeting.rrule:
        rule = rrulestr(meeting.rrule, dtstart=dt.datetime.combine(start_day, dt.time()))
        days |= {d.date() for d in rule.between(dt.datetime.combine(first, dt.time()),
                                                  dt.datetime.combine(last, dt.time(23, 59)), inc=True)}
    days |= set(meeting.dates)
    days -= set(meeting.cancelled)
    return sorted(d for d in days if first <= d <= last)


def occurrences(meeting: MeetingConfig, tz: str, first: dt.date, last: dt.date) -> list[Occurrence]:
    """Every occurrence whose (possibly moved) day falls in [first, last]."""
    zone, length = ZoneInfo(tz), _length(meeting)
    out: list[Occurrence] = []
    slack = dt.timedelta(days=62)  # a moved occurrence may come from outside the window
    for day in series_dates(meeting, first - slack, last + slack):
        moved_to = meeting.moved.get(day.isoformat())
        if is_all_day(meeting):
            start: dt.datetime | dt.date = moved_to.date() if moved_to else day
            end: dt.datetime | dt.date = start + length
        else:
            local = moved_to or dt.datetime.combine(day, meeting.start.time())  # type: ignore[union-attr]
            start = local.replace(tzinfo=zone)
            end = (local + length).replace(tzinfo=zone)
        occ = Occurrence(meeting, start, end, day, moved_to is not None)
        if first <= occ.day <= last:
            out.append(occ)
    return out


def upcoming(governance: GovernanceConfig, tz: str, first: dt.date, last: dt.date, *,
             boards_only: bool = False, plan_key: str | None = None) -> list[Occurrence]:
    """All occurrences in the window, in time order."""
    found: list[Occurrence] = []
    for meeting in governance.meetings:
        if boards_only and not meeting.board:
            continue
        if plan_key and meeting.pack_plans and plan_key not in meeting.pack_plans:
            continue
        found.extend(occurrences(meeting, tz, first, last))
    return sorted(found, key=lambda o: (o.day, o.meeting.id))


def next_board(governance: GovernanceConfig, tz: str, after: dt.date, plan_key: str | None = None,
               horizon_days: int = BOARD_HORIZON_DAYS) -> Occurrence | None:
    """The first board meeting on or after ``after`` that receives this plan's pack."""
    found = upcoming(governance, tz, after, after + dt.timedelta(days=horizon_days), boards_only=True,
                     plan_key=plan_key)
    return found[0] if found else None


def in_rule(meeting: MeetingConfig, day: dt.date) -> bool:
    """Whether the series itself (first date + RRULE, not the explicit dates) falls on ``day``.

    Moves and cancellations name an occurrence by its original date; one that names a
    day the rule never produces is a config mistake worth reporting, not ignoring.
    """
    start_day = meeting.start if is_all_day(meeting) else meeting.start.date()  # type: ignore[union-attr]
    if day == start_day:
        return True
    if not meeting.rrule or day < start_day:
        return False
    rule = rrulestr(meeting.rrule, dtstart=dt.datetime.combine(start_day, dt.time()))
    return rule.after(dt.datetime.combine(day, dt.time()), inc=True) == dt.datetime.combine(day, dt.time())


def first_rule_day(meeting: MeetingConfig) -> dt.date | None:
    """The first date the RRULE itself gives from the start (None: no RRULE, or it gives none).

    RFC 5545 leaves a DTSTART that is not a date of its rule undefined: Outlook and
    Thunderbird drop that first meeting, Google adds it, while planwarden counts it.
    Comparing this with the start tells the calendar to write that meeting on its own.
    """
    if not meeting.rrule:
        return None
    start_day = meeting.start if is_all_day(meeting) else meeting.start.date()  # type: ignore[union-attr]
    rule = rrulestr(meeting.rrule, dtstart=dt.datetime.combine(start_day, dt.time()))
    first = rule.after(dt.datetime.combine(start_day, dt.time()), inc=True)
    return first.date() if first else None


def last_day(meeting: MeetingConfig) -> dt.date | None:
    """The last day the meeting (any occurrence, moved or extra) may fall on; None if it never ends."""
    start_day = meeting.start if is_all_day(meeting) else meeting.start.date()  # type: ignore[union-attr]
    days = [start_day, *meeting.dates, *(m.date() for m in meeting.moved.values())]
    if meeting.rrule:
        rule = rrulestr(meeting.rrule, dtstart=dt.datetime.combine(start_day, dt.time()))
        if getattr(rule, "_count", None) is None and getattr(rule, "_until", None) is None:
            return None
        days.extend(d.date() for d in rule)
    last = max(days)
    return last + (_length(meeting) - dt.timedelta(days=1) if is_all_day(meeting) else dt.timedelta())
