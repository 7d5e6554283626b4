"""Meetings as real calendar items on an on-premises Exchange server (EWS, exchangelib).

With ``invites = "calendar-items"`` and the EWS transport, each meeting is created in
the organiser's calendar with ``SendMeetingInvitations="SendToAllAndSaveCopy"``, so
Exchange sends the invitations and tracks the responses; a change is saved with
``SendToAllAndSaveCopy`` (Exchange sends the update), a removal is a
``CancelCalendarItem``. Thin: the state machine in ``sync`` decides when.

Occurrence-level exceptions (a moved or cancelled occurrence of a series) are sent as
part of iTIP email only; through EWS the series is kept and the exceptions are listed in
the body — see docs/calendar.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from planwarden.calendar.events import CalendarError, PlannedEvent
from planwarden.calendar.ics import description

SEND_ALL = "SendToAllAndSaveCopy"
_WEEKDAYS = {"MO": 1, "TU": 2, "WE": 3, "TH": 4, "FR": 5, "SA": 6, "SU": 7}
_WEEKS = {1: 1, 2: 2, 3: 3, 4: 4, -1: 5}  # exchangelib: FIRST..FOURTH, LAST = 5


def _ews_time(value: dt.datetime | dt.date, tzid: str) -> Any:
    from exchangelib import EWSDate, EWSDateTime, EWSTimeZone

    if isinstance(value, dt.datetime):
        return EWSDateTime.from_datetime(value).astimezone(EWSTimeZone(tzid))
    return EWSDate.from_date(value)


def ews_recurrence(event: PlannedEvent) -> Any:
    """exchangelib's Recurrence for the RRULE forms governance calendars use."""
    from exchangelib.recurrence import (AbsoluteMonthlyPattern, DailyPattern, Recurrence, RelativeMonthlyPattern,
                                        WeeklyPattern)

    if not event.rrule:
        return None
    parts = dict(p.split("=", 1) for p in event.rrule.split(";") if "=" in p)
    interval = int(parts.get("INTERVAL", "1"))
    byday = [d for d in parts.get("BYDAY", "").split(",") if d]
    first = event.start.date() if isinstance(event.start, dt.datetime) else event.start
    freq = parts.get("FREQ")
    if freq == "DAILY":
        pattern: Any = DailyPattern(interval=interval)
    elif freq == "WEEKLY":
        pattern = WeeklyPattern(interval=interval, weekdays=[_WEEKDAYS[d[-2:]] for d in byday]
                                or [first.isoweekday()], first_day_of_week=1)
    elif freq == "MONTHLY" and len(byday) == 1 and byday[0][:-2] and int(byday[0][:-2]) in _WEEKS:
        pattern = RelativeMonthlyPattern(interval=interval, weekday=_WEEKDAYS[byday[0][-2:]],
                                         week_number=_WEEKS[int(byday[0][:-2])])
    elif freq == "MONTHLY" and not byday:
        pattern = AbsoluteMonthlyPattern(interval=interval, day_of_month=int(parts.get("BYMONTHDAY", first.day)))
    else:
        raise CalendarError(f"meeting {event.meeting_id!r}: {event.rrule} has no Exchange equivalent here")
    if "COUNT" in parts:
        return Recurrence(pattern=pattern, start=first, number=int(parts["COUNT"]))
    if "UNTIL" in parts:
        u = parts["UNTIL"]
        return Recurrence(pattern=pattern, start=first, end=dt.date(int(u[:4]), int(u[4:6]), int(u[6:8])))
    return Recurrence(pattern=pattern, start=first)


def calendar_item(account: Any, event: PlannedEvent, folder: Any = None) -> Any:
    from exchangelib import Attendee, CalendarItem, Mailbox

    note = "".join(f"\nMoved: {o.recurrence_id:%a %-d %b %Y} to {o.start:%a %-d %b %Y %H:%M}"
                   for o in event.overrides if o.start != o.recurrence_id)
    note += "".join(f"\nCancelled: {d:%a %-d %b %Y}" for d in event.exdates)
    note = f"\n{note}" if note else ""
    return CalendarItem(
        account=account, folder=folder, subject=event.title, body=description(event) + note,
        start=_ews_time(event.start, event.tzid), end=_ews_time(event.end, event.tzid), is_all_day=event.all_day,
        location=event.location or event.online_url or None, recurrence=ews_recurrence(event),
        required_attendees=[Attendee(mailbox=Mailbox(email_address=a.email, name=a.name), response_type="Unknown")
                            for a in event.attendees if a.role != "OPT-PARTICIPANT"] or None,
        optional_attendees=[Attendee(mailbox=Mailbox(email_address=a.email, name=a.name), response_type="Unknown")
                            for a in event.attendees if a.role == "OPT-PARTICIPANT"] or None,
        reminder_is_set=True, reminder_minutes_before_start=15 if not event.all_day else 15 * 60,
        uid=event.uid)


class EwsCalendar:
    """Calendar calls on one account (the organiser's mailbox)."""

    def __init__(self, account: Any, folder: Any = None) -> None:
        self.account = account
        self.folder = folder if folder is not None else account.calendar

    def create(self, event: PlannedEvent) -> str:
        item = calendar_item(self.account, event, self.folder)
        item.save(send_meeting_invitations=SEND_ALL)
        return f"{item.id}\n{item.changekey}"

    def update(self, item_id: str, event: PlannedEvent) -> str:
        ident, changekey = item_id.split("\n", 1)
        item = calendar_item(self.account, event, self.folder)
        item.id, item.changekey = ident, changekey
        item.save(update_fields=["subject", "body", "start", "end", "is_all_day", "location", "recurrence",
                                 "required_attendees", "optional_attendees"],
                  conflict_resolution="AlwaysOverwrite", send_meeting_invitations=SEND_ALL)
        return f"{item.id}\n{item.changekey}"

    def cancel(self, item_id: str) -> None:
        from exchangelib import CalendarItem

        ident, changekey = item_id.split("\n", 1)
        CalendarItem(account=self.account, folder=self.folder, id=ident, changekey=changekey).cancel()
