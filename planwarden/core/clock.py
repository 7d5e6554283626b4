"""The one clock. Business code asks it for the time so tests can fix the time.

Nothing else in planwarden calls ``datetime.now()`` or ``date.today()``.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """An aware datetime in UTC."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)


class FixedClock:
    """A clock that stands still (or moves only when told): for tests and `--today`."""

    def __init__(self, at: dt.datetime) -> None:
        self._at = at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)

    def now(self) -> dt.datetime:
        return self._at

    def advance(self, **delta: float) -> None:
        self._at += dt.timedelta(**delta)

    def set(self, at: dt.datetime) -> None:
        self._at = at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)


_clock: Clock = SystemClock()


def get_clock() -> Clock:
    return _clock


def set_clock(clock: Clock) -> Clock:
    """Install a clock; returns the previous one so callers can restore it."""
    global _clock
    previous, _clock = _clock, clock
    return previous


def now() -> dt.datetime:
    return _clock.now()


def local_date(moment: dt.datetime, tz: str = "Europe/London") -> dt.date:
    """The date of ``moment`` in the plan's timezone (a UTC date is wrong after 23:00 in BST)."""
    return moment.astimezone(ZoneInfo(tz)).date()


def today(tz: str = "Europe/London") -> dt.date:
    """Today's date in the plan's timezone."""
    return local_date(_clock.now(), tz)


def at_local(day: dt.date, tz: str = "Europe/London", hour: int = 8) -> dt.datetime:
    """A moment on a local day, as aware UTC: what `--today D` means."""
    local = dt.datetime.combine(day, dt.time(hour), ZoneInfo(tz))
    return local.astimezone(dt.timezone.utc)
