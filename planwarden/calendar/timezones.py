"""VTIMEZONE components written as yearly RRULEs, the form Outlook reads reliably.

icalendar's own ``Timezone.from_tzid`` lists every past transition as RDATEs; Outlook
(and Exchange when it imports the file) handles that badly and can shift a meeting
by an hour after a clock change. Outlook itself writes one STANDARD and one DAYLIGHT
sub-component, each with a rule like ``FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU``; so do we.
The rule is read off the zone's transitions in one year and checked against the
next year; a zone whose changes do not follow such a rule falls back to icalendar's
RDATE form rather than being written wrongly.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

from planwarden.calendar.errors import UnknownTimezone

_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
_EPOCH_YEAR = 1970


def zone(tzid: str) -> ZoneInfo:
    try:
        return ZoneInfo(tzid)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownTimezone(f"unknown timezone {tzid!r}") from None


def _transitions(tz: ZoneInfo, year: int) -> list[dt.datetime]:
    """UTC instants in ``year`` at which the zone's offset changes (to the minute)."""
    found: list[dt.datetime] = []
    t = dt.datetime(year, 1, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime(year + 1, 1, 1, tzinfo=dt.timezone.utc)
    step = dt.timedelta(hours=6)
    while t < end:
        nxt = t + step
        if t.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
            lo, hi = t, nxt
            while hi - lo > dt.timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(tz).utcoffset() == lo.astimezone(tz).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi.replace(second=0, microsecond=0))
        t = nxt
    return found


def _rule(local: dt.datetime) -> tuple[int, int, int, dt.time]:
    """(month, week: 1..4 or -1 for last, weekday, wall time) of a transition."""
    days_in_month = _cal.monthrange(local.year, local.month)[1]
    week = -1 if local.day + 7 > days_in_month else (local.day - 1) // 7 + 1
    return local.month, week, local.weekday(), local.time()


def _first_in(year: int, month: int, week: int, weekday: int) -> dt.date:
    days = [d for d in range(1, _cal.monthrange(year, month)[1] + 1) if dt.date(year, month, d).weekday() == weekday]
    return dt.date(year, month, days[week - 1] if week > 0 else days[-1])


def _sub(cls: type, instant: dt.datetime, tz: ZoneInfo) -> tuple[object, tuple[int, int, int, dt.time]]:
    before = (instant - dt.timedelta(minutes=1)).astimezone(tz)
    after = instant.astimezone(tz)
    wall = (instant.astimezone(dt.timezone(before.utcoffset() or dt.timedelta()))).replace(tzinfo=None)
    month, week, weekday, time = _rule(wall)
    comp = cls()
    comp.add("dtstart", dt.datetime.combine(_first_in(_EPOCH_YEAR, month, week, weekday), time))
    comp.add("tzoffsetfrom", before.utcoffset())
    comp.add("tzoffsetto", after.utcoffset())
    comp.add("tzname", after.tzname())
    comp.add("rrule", vRecur({"FREQ": "YEARLY", "BYMONTH": month, "BYDAY": f"{week}{_DAYS[weekday]}"}))
    return comp, (month, week, weekday, time)


def vtimezone(tzid: str, year: int) -> Timezone:
    """A VTIMEZONE for ``tzid`` whose DST rules are those in force in ``year``."""
    tz = zone(tzid)
    this_year, next_year = _transitions(tz, year), _transitions(tz, year + 1)
    out = Timezone()
    out.add("tzid", tzid)
    if not this_year:
        std = TimezoneStandard()
        offset = dt.datetime(year, 1, 1, tzinfo=tz).utcoffset()
        std.add("dtstart", dt.datetime(_EPOCH_YEAR, 1, 1))
        std.add("tzoffsetfrom", offset)
        std.add("tzoffsetto", offset)
        std.add("tzname", dt.datetime(year, 1, 1, tzinfo=tz).tzname())
        out.add_component(std)
        return out
    if len(this_year) != 2 or len(next_year) != 2:
        return Timezone.from_tzid(tzid)
    rules = []
    for instant in sorted(this_year, key=lambda i: i.astimezone(tz).dst() or dt.timedelta()):
        gains = bool(instant.astimezone(tz).dst())
        comp, rule = _sub(TimezoneDaylight if gains else TimezoneStandard, instant, tz)
        rules.append(rule)
        out.add_component(comp)
    checked = sorted(_sub(TimezoneStandard, i, tz)[1] for i in next_year)
    if checked != sorted(rules):
        return Timezone.from_tzid(tzid)  # rules differ year to year: list the transitions instead
    return out
