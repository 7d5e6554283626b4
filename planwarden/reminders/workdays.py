"""Working days: Monday to Friday except the plan's bank holidays.

Reminder dates move to a working day, and a run on any other day sends nothing, so
this is the only place that knows what a working day is. Bank holidays come from the
``holidays`` package, computed once per region and year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

#: ReminderSettings.bank_holidays -> the ``holidays`` package's UK subdivision.
REGIONS: dict[str, str | None] = {
    "england-and-wales": "ENG",  # England and Wales share their bank holidays
    "scotland": "SCT",
    "northern-ireland": "NIR",
    "none": None,
}
ONE_DAY = dt.timedelta(days=1)


@lru_cache(maxsize=256)
def bank_holidays(region: str, year: int) -> frozenset[dt.date]:
    """The bank holidays of one region in one year (cached: asked for on every stage date)."""
    if region not in REGIONS:
        raise ValueError(f"unknown bank holiday region {region!r} (one of {', '.join(REGIONS)})")
    subdiv = REGIONS[region]
    if subdiv is None:
        return frozenset()
    import holidays

    return frozenset(holidays.country_holidays("GB", subdiv=subdiv, years=year).keys())


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days for one plan."""

    region: str = "england-and-wales"

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in bank_holidays(self.region, day.year)

    def on_or_before(self, day: dt.date) -> dt.date:
        """The day itself if it is a working day, else the previous working day."""
        while not self.is_working_day(day):
            if day == dt.date.min:
                return day
            day -= ONE_DAY
        return day

    def on_or_after(self, day: dt.date) -> dt.date:
        """The day itself if it is a working day, else the next working day."""
        while not self.is_working_day(day):
            if day == dt.date.max:
                return day
            day += ONE_DAY
        return day

    def after(self, day: dt.date) -> dt.date:
        """The first working day strictly after ``day``."""
        return dt.date.max if day == dt.date.max else self.on_or_after(day + ONE_DAY)


def shift(day: dt.date, days: int) -> dt.date:
    """``day`` + ``days``, clamped to the calendar's ends (a due date of 9999-12-31 is data, not a crash)."""
    try:
        return day + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max if days > 0 else dt.date.min
