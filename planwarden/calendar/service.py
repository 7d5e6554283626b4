"""The calendar job: observe the config, queue the invitations that changed, write files.

Used by ``planwarden calendar`` and the daily ``governance-calendar`` flow. Queueing
goes through ``planwarden.mail.outbox.enqueue`` (kind "invite") in the same transaction
as the state, so a crash between the two can neither lose nor duplicate an invitation;
delivery is the mail feature's job (``planwarden.mail.delivery``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from planwarden.core import clock
from planwarden.calendar import ics
from planwarden.calendar.events import PlannedEvent
from planwarden.calendar.sync import Invitation, Observed, mark_sent, observe, pending
from planwarden.core.config import Config
from planwarden.mail.compose import Draft
from planwarden.mail.outbox import already_queued, enqueue

_DAYS = {"MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday", "SA": "Saturday",
         "SU": "Sunday"}
_NTH = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last", -2: "second-to-last"}
_UNITS = {"DAILY": ("day", "Daily"), "WEEKLY": ("week", "Weekly"), "MONTHLY": ("month", "Monthly"),
          "YEARLY": ("year", "Yearly")}


@dataclass
class CalendarRun:
    events: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    file: str | None = None
    feed: str | None = None
    server: list[dict[str, Any]] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        return {"file": self.file, "feed": self.feed, "events": self.events, "sent": self.sent,
                "pending": self.pending, "warnings": self.warnings, "server": self.server}


def run(session: Session, config: Config, *, send: bool = False, out: Path | None = None,
        feed: Path | None = None, today: dt.date | None = None) -> CalendarRun:
    """One pass: record versions, optionally queue what changed, optionally write files."""
    tzid = config.plan(None).timezone
    today = today or clock.today(tzid)
    observed = observe(session, config, today)
    result = CalendarRun(events=len(observed.current), warnings=list(observed.calendar.warnings))
    todo = pending(observed, today)
    if send and config.governance.invites == "calendar-items":
        from planwarden.calendar.server_items import push_items
        result.server = push_items(session, config, observed, todo)
    elif send:
        for inv in todo:
            queue_invitation(session, config, inv)
        mark_sent(observed.rows, todo)
        result.sent = [inv.json() for inv in todo]
    else:
        result.pending = [inv.json() for inv in todo]
    if out is not None:
        write_atomic(out, ics.export(observed.versions(), tzid))
        result.file = str(out)
    if feed is not None:
        write_atomic(feed, ics.feed(observed.versions(), tzid))
        result.feed = str(feed)
    return result


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def queue_invitation(session: Session, config: Config, inv: Invitation) -> None:
    """Queue one iTIP email unless exactly this one (UID, SEQUENCE, method, recipients) already is."""
    key = inv.dedupe_key()
    if already_queued(session, key):
        return
    enqueue(session, draft_for(config, inv), kind="invite", dedupe_key=key, plan_key=config.plan(None).key,
            items=[{"kind": "invite", "uid": inv.uid, "sequence": inv.sequence, "method": inv.method}])


def draft_for(config: Config, inv: Invitation) -> Draft:
    from planwarden.mail.emails import render

    email = render("invite", invite_context(inv))
    organiser = inv.event.organiser.email if inv.event.organiser else None
    return Draft(sender=config.mail.from_address, sender_name=config.mail.from_name, to=list(inv.to),
                 subject=email.subject, text=email.text, html=email.html, reply_to=organiser,
                 # Not Auto-Submitted: some servers drop or down-rank auto-submitted meeting
                 # requests. Out-of-office replies are still suppressed.
                 auto_generated=False, headers={"X-Auto-Response-Suppress": "OOF, AutoReply"},
                 calendar=(inv.method, inv.ics))


def invite_context(inv: Invitation) -> dict[str, Any]:
    e = inv.event
    kind = {"new": "new", "added": "new", "update": "update"}.get(inv.reason, "cancel")
    return {
        "kind": kind, "reason": inv.reason, "title": e.title,
        "when": f"from {when_text(e)}" if e.rrule else when_text(e), "repeats": repeats_text(e),
        "location": e.location, "online_url": e.online_url, "description": e.description.strip(),
        "organiser": e.organiser.name if e.organiser else "", "sequence": inv.sequence,
        "moved": [f"{_when(o.recurrence_id)} → {_when(o.start)}" for o in e.overrides
                  if o.start != o.recurrence_id],
        "cancelled": [_when(d) for d in e.exdates], "note": e.note or next((o.note for o in e.overrides if o.note), ""),
        "attendee_count": len(e.attendees),
    }


def _when(value: dt.datetime | dt.date) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%a %-d %b %Y %H:%M")
    return value.strftime("%a %-d %b %Y")


def when_text(e: PlannedEvent) -> str:
    if isinstance(e.start, dt.datetime) and isinstance(e.end, dt.datetime):
        same_day = e.start.date() == e.end.date()
        end = e.end.strftime("%H:%M") if same_day else _when(e.end)
        return f"{_when(e.start)}–{end} ({e.tzid})"
    last = e.end - dt.timedelta(days=1)  # type: ignore[operator]
    if last == e.start:
        return f"{_when(e.start)}, all day"
    return f"{_when(e.start)} to {_when(last)}, all day"


def repeats_text(e: PlannedEvent) -> str:
    """A plain-English reading of the common rules; the RRULE itself otherwise."""
    if not e.rrule:
        return ""
    parts = dict(p.split("=", 1) for p in e.rrule.split(";") if "=" in p)
    unit, adverb = _UNITS.get(parts.get("FREQ", ""), ("", ""))
    if not unit:
        return e.rrule
    interval = int(parts.get("INTERVAL", "1"))
    text = adverb if interval == 1 else f"Every {interval} {unit}s"
    if "BYDAY" in parts:
        days = []
        for d in parts["BYDAY"].split(","):
            n, code = d[:-2], d[-2:]
            days.append(f"the {_NTH.get(int(n), n)} {_DAYS.get(code, code)}" if n else _DAYS.get(code, code))
        text += " on " + ", ".join(days)
    elif "BYMONTHDAY" in parts:
        text += f" on day {parts['BYMONTHDAY']}"
    if "COUNT" in parts:
        text += f", {parts['COUNT']} times"
    elif "UNTIL" in parts:
        text += f", until {parts['UNTIL'][:4]}-{parts['UNTIL'][4:6]}-{parts['UNTIL'][6:8]}"
    return text


def deliver(config: Config) -> dict[str, Any]:
    """Hand queued mail (the invites among it) to the configured transport."""
    from planwarden.mail.factory import deliver_queued, transport_for

    transport = transport_for(config)
    stats = deliver_queued(config, transport=transport)
    return {"transport": transport.name, "results": len(stats.results)}


def observed_versions(observed: Observed) -> list[tuple[PlannedEvent, int, dt.datetime]]:
    return observed.versions()
