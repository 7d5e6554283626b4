"""Calendar errors: shown to the person running the command as one plain line."""

from __future__ import annotations


class CalendarError(ValueError):
    """A meeting that cannot be turned into a calendar event; names the meeting."""


class UnknownTimezone(CalendarError):
    """The configured time zone is not in the tz database."""
