"""The governance calendar as calendar events: what each invitation says.

One meeting in governance.toml becomes one event, identified by a UID derived from the
meeting's stable id: a series carries its RRULE, its cancelled occurrences as EXDATEs
and each moved occurrence as an override (RECURRENCE-ID); an explicit extra date
becomes an event of its own (Outlook ignores RDATE), with its own UID. Attendees are
resolved through the directory here, once, so everything downstream (invitations,
feeds, Exchange items) sees the same people.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from planwarden.core.config import Config, MeetingConfig, PersonConfig
from planwarden.plan.directory import Directory
from planwarden.calendar.governance import _length, first_rule_day, in_rule, is_all_day, last_day
from planwarden.calendar.errors import CalendarError
from planwarden.calendar.timezones import zone

__all__ = ["CalendarError", "PlannedEvent", "plan_calendar"]

INVALID_DOMAIN = "planwarden.invalid"


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str
    role: str = "REQ-PARTICIPANT"


@dataclass(frozen=True)
class Override:
    """One occurrence of a series that differs from the rule: moved, or with a pack note."""

    recurrence_id: dt.datetime | dt.date
    start: dt.datetime | dt.date
    end: dt.datetime | dt.date
    note: str = ""


@dataclass(frozen=True)
class PlannedEvent:
    """One calendar object (one UID) as the config says it should be now."""

    key: str  # state key: the meeting id, or "<meeting id>/<date>" for an explicit extra date
    uid: str
    meeting_id: str
    title: str
    start: dt.datetime | dt.date  # aware (plan timezone) or a date for all-day
    end: dt.datetime | dt.date  # exclusive: all-day events end the day after their last day
    tzid: str
    description: str = ""
    location: str = ""
    online_url: str = ""
    rrule: str | None = None
    exdates: tuple[dt.datetime | dt.date, ...] = ()
    overrides: tuple[Override, ...] = ()
    attendees: tuple[Attendee, ...] = ()
    organiser: Attendee | None = None
    sent_by: str | None = None  # the mailbox that sends on the organiser's behalf
    last_day: dt.date | None = None  # None: a series that never ends
    board: bool = False
    note: str = ""  # the pack note, for a one-off event
    warnings: tuple[str, ...] = ()

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, dt.datetime)

    @property
    def emails(self) -> list[str]:
        return sorted({a.email.lower() for a in self.attendees})

    def content(self, *, with_attendees: bool = True) -> dict[str, Any]:
        """Everything an invitation shows, in a stable form: its hash decides whether to send."""
        data: dict[str, Any] = {
            "title": self.title, "start": _iso(self.start), "end": _iso(self.end), "tzid": self.tzid,
            "description": self.description, "location": self.location, "online_url": self.online_url,
            "rrule": self.rrule or "", "exdates": [_iso(d) for d in self.exdates],
            "overrides": [[_iso(o.recurrence_id), _iso(o.start), _iso(o.end), o.note] for o in self.overrides],
            "organiser": self.organiser.email if self.organiser else "", "note": self.note,
        }
        if with_attendees:
            data["attendees"] = [[a.email.lower(), a.name, a.role] for a in sorted(self.attendees,
                                                                                   key=lambda a: a.email.lower())]
        return data

    def fingerprint(self, *, with_attendees: bool = True) -> str:
        raw = json.dumps(self.content(with_attendees=with_attendees), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()


def _iso(value: dt.datetime | dt.date) -> str:
    return value.isoformat()


def uid_domain(organiser: PersonConfig | None) -> str:
    if organiser and "@" in organiser.email:
        return organiser.email.rsplit("@", 1)[1].lower()
    return INVALID_DOMAIN


def make_uid(key: str, domain: str) -> str:
    """``<meeting id>@<domain>``: stable for as long as the meeting's id is."""
    return f"{key.replace('/', '-')}@{domain}"


@dataclass
class Calendar:
    """The planned events plus what could not be planned cleanly."""

    events: list[PlannedEvent] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tzid: str = "Europe/London"


def organiser_of(config: Config) -> PersonConfig | None:
    """The governance organiser, else the (first) plan's secretary."""
    directory = Directory(config.directory)
    return directory.person(config.governance.organiser) or directory.person(config.plan(None).secretary)


def plan_calendar(config: Config, pack_notes: Mapping[tuple[str, dt.date], str] | None = None,
                  uids: Mapping[str, str] | None = None) -> Calendar:
    """Every event the governance config describes, in config order.

    ``uids`` maps state keys to UIDs already sent, so a change of organiser domain never
    gives an existing meeting a new UID (which Outlook would show as a second event).
    """
    tzid = config.plan(None).timezone
    zone(tzid)
    directory = Directory(config.directory)
    organiser = organiser_of(config)
    domain = uid_domain(organiser)
    org = Attendee(organiser.email, organiser.name, "CHAIR") if organiser else Attendee(
        config.mail.from_address, config.mail.from_name, "CHAIR")
    sent_by = config.mail.from_address if config.mail.from_address.lower() != org.email.lower() else None
    out = Calendar(tzid=tzid)
    notes = pack_notes or {}
    for meeting in config.governance.meetings:
        people, missing = _attendees(meeting, directory, org.email)
        base_warnings = [f"meeting {meeting.id!r}: {m!r} is not in the directory" for m in missing]
        if not people:
            base_warnings.append(f"meeting {meeting.id!r} has no attendees: it is in the calendar and the feed, "
                                 "but no invitation is sent")
        for event in _events(meeting, tzid, notes):
            event = replace(event, uid=(uids or {}).get(event.key) or make_uid(event.key, domain),
                            attendees=tuple(people), organiser=org, sent_by=sent_by,
                            warnings=tuple(base_warnings) + event.warnings)
            out.events.append(event)
            out.warnings.extend(event.warnings)
    out.warnings = list(dict.fromkeys(out.warnings))
    return out


def _attendees(meeting: MeetingConfig, directory: Directory, organiser_email: str) -> tuple[list[Attendee], list[str]]:
    """Group members and named people, once each, without the organiser (who sends, not receives)."""
    found: dict[str, Attendee] = {}
    missing: list[str] = []
    for name in meeting.attendees:
        person = directory.person(name)
        group = None if person else directory.group(name)
        if person:
            members = [person]
        elif group:
            ids = group.members or group.contacts or ([group.chair] if group.chair else [])
            members = [p for p in (directory.person(i) for i in ids) if p]
        else:
            missing.append(name)
            continue
        for p in members:
            if p.email.lower() != organiser_email.lower():
                found.setdefault(p.email.lower(), Attendee(p.email, p.name))
    return list(found.values()), missing


def _events(meeting: MeetingConfig, tzid: str, notes: Mapping[tuple[str, dt.date], str]) -> list[PlannedEvent]:
    tz = zone(tzid)
    length = _length(meeting)
    all_day = is_all_day(meeting)
    warnings: list[str] = []

    def span(day: dt.date, moved: dt.datetime | None) -> tuple[dt.datetime | dt.date, dt.datetime | dt.date]:
        if all_day:
            first = moved.date() if moved else day
            return first, first + length
        local = moved or dt.datetime.combine(day, meeting.start.time())  # type: ignore[union-attr]
        return local.replace(tzinfo=tz), (local + length).replace(tzinfo=tz)

    def rid(day: dt.date) -> dt.datetime | dt.date:
        return day if all_day else dt.datetime.combine(day, meeting.start.time(), tz)  # type: ignore[union-attr]

    first_day = meeting.start if all_day else meeting.start.date()  # type: ignore[union-attr]
    series_first = first_rule_day(meeting) or first_day
    off_rule = series_first != first_day
    if off_rule:
        warnings.append(f"meeting {meeting.id!r}: start {first_day} is not a date of its rrule: it is sent as an "
                        f"event of its own, and the series starts on {series_first}")

    def on_series(day: dt.date) -> bool:
        """A date the series' RRULE gives: a moved or cancelled one is an override or an EXDATE."""
        return in_rule(meeting, day) and not (off_rule and day == first_day)

    start, end = span(series_first, None)
    overrides: list[Override] = []
    for key, to in sorted(meeting.moved.items()):
        day = dt.date.fromisoformat(key)
        if not in_rule(meeting, day) and day not in meeting.dates:
            warnings.append(f"meeting {meeting.id!r}: moved {key} is not a date of the series: ignored")
        elif on_series(day) and day not in meeting.cancelled:
            s, e = span(day, to)
            overrides.append(Override(rid(day), s, e, notes.get((meeting.id, day), "")))
    moved_days = {dt.date.fromisoformat(k) for k in meeting.moved}
    for (mid, day), note in sorted(notes.items()):
        if mid == meeting.id and day not in moved_days and on_series(day) and meeting.rrule \
                and day != series_first and day not in meeting.cancelled:
            s, e = span(day, None)
            overrides.append(Override(rid(day), s, e, note))
    exdates = []
    for day in sorted(set(meeting.cancelled)):
        if on_series(day):
            exdates.append(rid(day))
        elif not in_rule(meeting, day) and day not in meeting.dates:
            warnings.append(f"meeting {meeting.id!r}: cancelled {day} is not a date of the series: ignored")
    series = PlannedEvent(
        key=meeting.id, uid="", meeting_id=meeting.id, title=meeting.title, start=start, end=end, tzid=tzid,
        description=meeting.description, location=meeting.location, online_url=meeting.online_url,
        rrule=(meeting.rrule or "").removeprefix("RRULE:") or None, exdates=tuple(exdates),
        overrides=tuple(sorted(overrides, key=lambda o: _iso(o.recurrence_id))), last_day=last_day(meeting),
        board=meeting.board, note=notes.get((meeting.id, series_first), "") if series_first not in moved_days else "",
        warnings=tuple(warnings))
    if not meeting.rrule and first_day in moved_days:  # keys are "YYYY-MM-DD" strings
        series = replace(series, overrides=(), start=overrides[0].start if overrides else start,
                         end=overrides[0].end if overrides else end, note=overrides[0].note if overrides else "")
    events = [series] if (meeting.rrule or first_day not in meeting.cancelled) else []
    extra = set(meeting.dates) | ({first_day} if off_rule else set())
    for day in sorted(extra):
        if day in meeting.cancelled or on_series(day):
            continue
        moved_to = meeting.moved.get(day.isoformat())
        s, e = span(day, moved_to)
        events.append(replace(series, key=f"{meeting.id}/{day.isoformat()}", start=s, end=e, rrule=None,
                              exdates=(), overrides=(), note=notes.get((meeting.id, day), ""),
                              last_day=_last_day(s, e)))
    return events


def _last_day(start: dt.datetime | dt.date, end: dt.datetime | dt.date) -> dt.date:
    if isinstance(end, dt.datetime):
        return end.date()
    return max(start if not isinstance(start, dt.datetime) else start.date(), end - dt.timedelta(days=1))
