"""Writing iCalendar (RFC 5545) objects: invitations (iTIP REQUEST / CANCEL), the full
export and the subscribable feed.

Outlook's needs shape the details: a VTIMEZONE with yearly RRULEs; one calendar object
per UID in an iTIP message (the series and its overrides together); ORGANIZER with
SENT-BY when the plan mailbox sends for the secretary; all-day events as DATE values
with an exclusive DTEND; SEQUENCE and DTSTAMP from the stored state, so the same state
always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from icalendar import Alarm, Calendar, Event, vCalAddress, vRecur, vText

from planwarden.calendar.events import Attendee, PlannedEvent
from planwarden.calendar.timezones import vtimezone

PRODID = "-//planwarden//Governance calendar//EN"
ALARM_MINUTES = 15
ALL_DAY_ALARM = dt.timedelta(hours=15)  # 09:00 the day before


class Text(vText):
    r"""A TEXT value escaped exactly as RFC 5545 (3.3.11) says, and nothing more.

    icalendar's vText first turns a literal ``\N`` into a line break, so a location or
    description holding a Windows share such as ``\\council\Nursing\Packs`` reached
    Thunderbird and Outlook as "\\council" and "ursing\Packs" on two lines.
    """

    __slots__ = ()

    def to_ical(self) -> bytes:
        return escape_text(str(self)).encode(self.encoding)


def escape_text(text: str) -> str:
    """Backslash, semicolon and comma escaped; every kind of line break written as ``\\n``."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n"))


def _calendar(method: str | None, tzid: str, year: int, name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", Text(name))
        cal.add("x-wr-timezone", tzid)
    cal.add_component(vtimezone(tzid, year))
    return cal


def _address(who: Attendee, **params: str) -> vCalAddress:
    addr = vCalAddress(f"mailto:{who.email}")
    addr.params["CN"] = who.name
    for key, value in params.items():
        addr.params[key] = value
    return addr


def description(event: PlannedEvent, note: str = "") -> str:
    parts = [event.description.strip()]
    if event.online_url:
        parts.append(f"Join online: {event.online_url}")
    if note or event.note:
        parts.append(note or event.note)
    return "\n\n".join(p for p in parts if p)


def _vevent(event: PlannedEvent, sequence: int, dtstamp: dt.datetime, *, start: Any, end: Any,
            recurrence_id: Any = None, note: str = "", series: bool = True, attendees: Sequence[Attendee] | None,
            status: str = "CONFIRMED", alarm: bool = True) -> Event:
    ev = Event()
    ev.add("uid", event.uid)
    ev.add("dtstamp", dtstamp.astimezone(dt.timezone.utc))
    ev.add("sequence", sequence)
    if recurrence_id is not None:
        ev.add("recurrence-id", recurrence_id)
    ev.add("dtstart", start)
    ev.add("dtend", end)
    if series and event.rrule and recurrence_id is None:
        ev.add("rrule", rrule(event))
        if event.exdates:
            ev.add("exdate", list(event.exdates))
    ev.add("summary", Text(event.title))
    text = description(event, note)
    if text:
        ev.add("description", Text(text))
    location = event.location or event.online_url
    if location:
        ev.add("location", Text(location))
    if event.online_url:
        ev.add("url", event.online_url)
    if attendees is not None and event.organiser:
        params = {"SENT-BY": f"mailto:{event.sent_by}"} if event.sent_by else {}
        ev.add("organizer", _address(event.organiser, **params))
        for who in attendees:
            ev.add("attendee", _address(who, CUTYPE="INDIVIDUAL", ROLE=who.role, PARTSTAT="NEEDS-ACTION",
                                        RSVP="TRUE"))
    ev.add("status", status)
    ev.add("class", "PUBLIC")
    multi_day = event.all_day and (end - start) > dt.timedelta(days=1)
    ev.add("transp", "TRANSPARENT" if multi_day else "OPAQUE")
    if event.all_day:
        ev.add("x-microsoft-cdo-alldayevent", "TRUE")
    ev.add("x-microsoft-cdo-busystatus", "FREE" if multi_day else "BUSY")
    if alarm and status != "CANCELLED":
        ev.add_component(_alarm(event))
    return ev


def rrule(event: PlannedEvent) -> vRecur:
    """The series' RRULE with UNTIL in the form RFC 5545 (3.3.10) requires.

    The config takes UNTIL as a plain date or a local date-time, and planwarden counts
    the whole of that day (a meeting on it takes place). Written as it is, UNTIL would be
    wrong for a series in a time zone, which must have UTC: ical.js (Thunderbird) reads
    ``UNTIL=20230621`` as midnight UTC and drops the 21 June meeting. So a timed series
    gets the UTC instant of that day's meeting, and an all-day series the DATE.
    """
    rule = vRecur.from_ical(event.rrule or "")
    until = rule.get("UNTIL")
    if not until:
        return rule
    day = until[0].date() if isinstance(until[0], dt.datetime) else until[0]
    if isinstance(event.start, dt.datetime):
        rule["UNTIL"] = [dt.datetime.combine(day, event.start.time(), event.start.tzinfo).astimezone(dt.timezone.utc)]
    else:
        rule["UNTIL"] = [day]
    return rule


def _alarm(event: PlannedEvent) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", Text(f"Reminder: {event.title}"))
    alarm.add("trigger", -(ALL_DAY_ALARM if event.all_day else dt.timedelta(minutes=ALARM_MINUTES)))
    return alarm


def components(event: PlannedEvent, sequence: int, dtstamp: dt.datetime, *,
               attendees: Sequence[Attendee] | None, status: str = "CONFIRMED", overrides: bool = True,
               alarm: bool = True) -> list[Event]:
    """The series (or single event) and, if asked, one component per overridden occurrence."""
    out = [_vevent(event, sequence, dtstamp, start=event.start, end=event.end, attendees=attendees,
                   status=status, alarm=alarm)]
    if overrides and event.rrule:
        for o in event.overrides:
            out.append(_vevent(event, sequence, dtstamp, start=o.start, end=o.end, recurrence_id=o.recurrence_id,
                               note=o.note, attendees=attendees, status=status, alarm=alarm))
    return out


def _year(events: Iterable[PlannedEvent], default: int = 2022) -> int:
    years = [e.start.year for e in events]
    return min(years) if years else default


def request(event: PlannedEvent, sequence: int, dtstamp: dt.datetime) -> bytes:
    """METHOD:REQUEST for one UID: the whole series with its exceptions, every attendee listed."""
    cal = _calendar("REQUEST", event.tzid, event.start.year)
    for comp in components(event, sequence, dtstamp, attendees=event.attendees):
        cal.add_component(comp)
    return cal.to_ical()


def cancel(event: PlannedEvent, sequence: int, dtstamp: dt.datetime, attendees: Sequence[Attendee]) -> bytes:
    """METHOD:CANCEL for one UID, to ``attendees`` only: the event's removal, or theirs from it."""
    cal = _calendar("CANCEL", event.tzid, event.start.year)
    for comp in components(event, sequence, dtstamp, attendees=attendees, status="CANCELLED", overrides=False):
        cal.add_component(comp)
    return cal.to_ical()


def export(events: Sequence[tuple[PlannedEvent, int, dt.datetime]], tzid: str) -> bytes:
    """The whole calendar as data (no METHOD, as CalDAV stores it), organiser and attendees included."""
    cal = _calendar(None, tzid, _year(e for e, _, _ in events), name="Governance calendar")
    for event, sequence, stamp in events:
        for comp in components(event, sequence, stamp, attendees=event.attendees):
            cal.add_component(comp)
    return cal.to_ical()


def feed(events: Sequence[tuple[PlannedEvent, int, dt.datetime]], tzid: str,
         name: str = "Governance calendar") -> bytes:
    """METHOD:PUBLISH, no ORGANIZER or ATTENDEE: subscribers see the dates and are never asked to reply."""
    cal = _calendar("PUBLISH", tzid, _year(e for e, _, _ in events), name=name)
    cal.add("refresh-interval", dt.timedelta(hours=12), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT12H")
    for event, sequence, stamp in events:
        for comp in components(event, sequence, stamp, attendees=None, alarm=False):
            cal.add_component(comp)
    return cal.to_ical()
