"""Keeping attendees' calendars in step with the config: the state machine behind invites.

``observe`` compares the config with the stored state: a new event starts at SEQUENCE 0,
an event whose content changed gets SEQUENCE + 1 and a new DTSTAMP, an event gone from
the config is marked cancelled (SEQUENCE + 1) unless it is already over, in which case it
is retired quietly (pruning last year's meetings must not cancel anything). ``pending``
then says what each attendee must receive to match: a REQUEST to everyone when the event
is new or changed, only to those added when only the attendee list changed, a CANCEL to
those removed, and a CANCEL to everyone holding an event that was removed. Nothing else:
running it again with no change sends nothing.

Both steps run in the caller's transaction together with the outbox rows, so an
invitation is queued if and only if the state recording it commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from planwarden.core import clock
from planwarden.calendar import ics
from planwarden.calendar.events import Attendee, Calendar, Override, PlannedEvent, plan_calendar
from planwarden.calendar.models import CalendarEvent
from planwarden.calendar.packlink import pack_notes
from planwarden.calendar.timezones import zone
from planwarden.core.config import Config

Method = Literal["REQUEST", "CANCEL"]


@dataclass
class Invitation:
    """One iTIP message to send: one UID, one SEQUENCE, one set of recipients."""

    uid: str
    sequence: int
    method: Method
    to: list[str]
    event: PlannedEvent
    reason: str  # new | update | added | removed-attendee | cancelled
    dtstamp: dt.datetime

    @property
    def ics(self) -> bytes:
        if self.method == "REQUEST":
            return ics.request(self.event, self.sequence, self.dtstamp)
        who = [a for a in self.event.attendees if a.email.lower() in self.to] or [Attendee(t, t) for t in self.to]
        return ics.cancel(self.event, self.sequence, self.dtstamp, who)

    def dedupe_key(self) -> str:
        recipients = hashlib.sha256(",".join(sorted(self.to)).encode()).hexdigest()[:16]
        uid = self.uid if len(self.uid) <= 160 else hashlib.sha256(self.uid.encode()).hexdigest()
        return f"invite:{uid}:{self.sequence}:{self.method}:{recipients}"

    def json(self) -> dict[str, Any]:
        return {"uid": self.uid, "sequence": self.sequence, "method": self.method, "to": self.to,
                "reason": self.reason}


@dataclass
class Observed:
    calendar: Calendar
    rows: dict[str, CalendarEvent]  # by state key: every row, current or not
    current: list[tuple[PlannedEvent, CalendarEvent]] = field(default_factory=list)

    def versions(self) -> list[tuple[PlannedEvent, int, dt.datetime]]:
        """(event, SEQUENCE, DTSTAMP) for every event in the config, for files and feeds."""
        return [(e, r.sequence, r.stamped_at) for e, r in self.current]


def observe(session: Session, config: Config, today: dt.date | None = None) -> Observed:
    """Record the config's current version of every event (see the module docstring)."""
    now = clock.now()
    tzid = config.plan(None).timezone
    today = today or clock.today(tzid)
    query = select(CalendarEvent).order_by(CalendarEvent.id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    rows = {r.key: r for r in session.scalars(query)}
    cal = plan_calendar(config, pack_notes(session), {k: r.uid for k, r in rows.items()})
    out = Observed(cal, rows)
    seen = set()
    for event in cal.events:
        seen.add(event.key)
        row = rows.get(event.key)
        fp, core = event.fingerprint(), event.fingerprint(with_attendees=False)
        if row is None:
            row = CalendarEvent(key=event.key, uid=event.uid, meeting_id=event.meeting_id, status="active",
                                sequence=0, fingerprint=fp, core_fingerprint=core, content=_content(event),
                                stamped_at=now, last_day=event.last_day, sent_attendees=[], created_at=now,
                                updated_at=now)
            session.add(row)
            rows[event.key] = row
        elif row.fingerprint != fp or row.status != "active":
            row.sequence += 1
            row.fingerprint, row.core_fingerprint, row.content = fp, core, _content(event)
            row.stamped_at, row.updated_at, row.status, row.last_day = now, now, "active", event.last_day
        out.current.append((event, row))
    for key, row in rows.items():
        if key in seen or row.status != "active":
            continue
        if row.last_day is not None and row.last_day < today:
            row.status, row.updated_at = "retired", now
        else:
            row.status, row.sequence, row.stamped_at, row.updated_at = "cancelled", row.sequence + 1, now, now
    session.flush()
    return out


def _content(event: PlannedEvent) -> dict[str, Any]:
    data = event.content()
    data["key"], data["uid"], data["meeting_id"] = event.key, event.uid, event.meeting_id
    data["organiser_name"] = event.organiser.name if event.organiser else ""
    data["sent_by"] = event.sent_by or ""
    return data


def pending(observed: Observed, today: dt.date) -> list[Invitation]:
    """Every message needed to bring attendees in line with the recorded versions."""
    out: list[Invitation] = []
    for event, row in observed.current:
        out.extend(_for_current(event, row, today))
    for row in observed.rows.values():
        if row.status == "cancelled" and row.sent_attendees and row.sent_sequence != row.sequence:
            event = event_from_row(row)
            out.append(Invitation(row.uid, row.sequence, "CANCEL", sorted(row.sent_attendees), event, "cancelled",
                                  row.stamped_at))
    return out


def _for_current(event: PlannedEvent, row: CalendarEvent, today: dt.date) -> list[Invitation]:
    now_list = event.emails
    held = set(row.sent_attendees or [])
    first_time = row.sent_sequence is None or not held
    if first_time and (not now_list or (row.last_day is not None and row.last_day < today)):
        return []  # nobody to invite, or over before anyone was invited
    if not first_time and row.sent_sequence == row.sequence:
        return []
    out = []
    removed = sorted(held - set(now_list))
    if first_time:
        out.append(Invitation(row.uid, row.sequence, "REQUEST", now_list, event, "new", row.stamped_at))
    elif row.sent_core == row.core_fingerprint:
        added = sorted(set(now_list) - held)
        if added:
            out.append(Invitation(row.uid, row.sequence, "REQUEST", added, event, "added", row.stamped_at))
    elif now_list:
        out.append(Invitation(row.uid, row.sequence, "REQUEST", now_list, event, "update", row.stamped_at))
    if removed and not first_time:
        out.append(Invitation(row.uid, row.sequence, "CANCEL", removed, event, "removed-attendee", row.stamped_at))
    return out


def mark_sent(rows: dict[str, CalendarEvent], invitations: Sequence[Invitation]) -> None:
    """Record what attendees now hold, in the same transaction as the queued mail."""
    now = clock.now()
    by_uid = {r.uid: r for r in rows.values()}
    for inv in invitations:
        row = by_uid[inv.uid]
        held = set(row.sent_attendees or [])
        if inv.method == "REQUEST":
            held |= set(inv.to)
            if inv.reason in ("new", "update"):
                held = set(inv.to)
        else:
            held -= set(inv.to)
        row.sent_attendees = sorted(held)
        row.sent_sequence, row.sent_core, row.sent_at = row.sequence, row.core_fingerprint, now
    for row in rows.values():  # a changed event whose attendees all left, or an unchanged re-run
        if row.status == "active" and row.sent_sequence is not None and row.sent_sequence != row.sequence \
                and not any(i.uid == row.uid for i in invitations):
            row.sent_sequence, row.sent_core = row.sequence, row.core_fingerprint


def event_from_row(row: CalendarEvent) -> PlannedEvent:
    """The event as last recorded: what a cancellation of a meeting gone from the config shows."""
    c = row.content
    tzid = c.get("tzid") or "Europe/London"
    tz = zone(tzid)

    def when(text: str) -> dt.datetime | dt.date:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text).astimezone(tz)

    attendees = tuple(Attendee(e, n, r) for e, n, r in c.get("attendees", []))
    organiser = Attendee(c["organiser"], c.get("organiser_name") or c["organiser"], "CHAIR") if c.get(
        "organiser") else None
    return PlannedEvent(
        key=row.key, uid=row.uid, meeting_id=row.meeting_id, title=c.get("title", ""), start=when(c["start"]),
        end=when(c["end"]), tzid=tzid, description=c.get("description", ""), location=c.get("location", ""),
        online_url=c.get("online_url", ""), rrule=c.get("rrule") or None,
        exdates=tuple(when(d) for d in c.get("exdates", [])),
        overrides=tuple(Override(when(a), when(b), when(e), n) for a, b, e, n in c.get("overrides", [])),
        attendees=attendees, organiser=organiser, sent_by=c.get("sent_by") or None, last_day=row.last_day,
        note=c.get("note", ""))


def strip_attendees(event: PlannedEvent) -> PlannedEvent:
    return replace(event, attendees=())
