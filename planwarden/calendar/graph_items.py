"""Meetings as real calendar items in Microsoft 365, through Microsoft Graph.

With ``invites = "calendar-items"`` and the Graph transport, planwarden creates each
meeting in the organiser's mailbox calendar and Exchange Online sends and tracks the
invitations (responses show in the organiser's Outlook). A thin adapter: it maps one
``PlannedEvent`` to Graph's JSON and makes the calls; the state machine decides when.

- create: ``POST /users/{mailbox}/events`` with ``transactionId`` = the UID, so a retry
  after a lost response cannot create the meeting twice;
- change: ``PATCH /users/{mailbox}/events/{id}``;
- removal: ``POST /users/{mailbox}/events/{id}/cancel`` (attendees get a cancellation);
- a moved or cancelled occurrence: found with ``GET .../events/{id}/instances`` on its
  original day, then patched or cancelled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import httpx

from planwarden.calendar.events import CalendarError, PlannedEvent
from planwarden.calendar.ics import description

#: IANA -> Windows names: Graph's recurrenceTimeZone and Exchange prefer the latter.
WINDOWS_ZONES = {"Europe/London": "GMT Standard Time", "Europe/Dublin": "GMT Standard Time",
                 "UTC": "UTC", "Europe/Paris": "Romance Standard Time", "Europe/Berlin": "W. Europe Standard Time"}
_DAYS = {"MO": "monday", "TU": "tuesday", "WE": "wednesday", "TH": "thursday", "FR": "friday", "SA": "saturday",
         "SU": "sunday"}
_INDEX = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}


class GraphError(Exception):
    """Graph refused a calendar call; the message carries the status and Graph's code only."""


def _zone(tzid: str) -> str:
    return WINDOWS_ZONES.get(tzid, tzid)


def _time(value: dt.datetime | dt.date, tzid: str) -> dict[str, str]:
    if isinstance(value, dt.datetime):
        return {"dateTime": value.replace(tzinfo=None).isoformat(timespec="seconds"), "timeZone": _zone(tzid)}
    return {"dateTime": dt.datetime.combine(value, dt.time()).isoformat(timespec="seconds"), "timeZone": _zone(tzid)}


def recurrence(event: PlannedEvent) -> dict[str, Any] | None:
    """Graph's patternedRecurrence for the RRULE forms governance calendars use."""
    if not event.rrule:
        return None
    parts = dict(p.split("=", 1) for p in event.rrule.split(";") if "=" in p)
    freq, interval = parts.get("FREQ"), int(parts.get("INTERVAL", "1"))
    byday = [d for d in parts.get("BYDAY", "").split(",") if d]
    pattern: dict[str, Any] = {"interval": interval}
    first = event.start.date() if isinstance(event.start, dt.datetime) else event.start
    if freq == "DAILY":
        pattern["type"] = "daily"
    elif freq == "WEEKLY":
        pattern.update(type="weekly", daysOfWeek=[_DAYS[d[-2:]] for d in byday] or [first.strftime("%A").lower()],
                       firstDayOfWeek="monday")
    elif freq in ("MONTHLY", "YEARLY") and len(byday) == 1 and byday[0][:-2]:
        n = int(byday[0][:-2])
        if n not in _INDEX:
            raise CalendarError(f"meeting {event.meeting_id!r}: {event.rrule} has no Graph equivalent")
        pattern.update(type="relativeMonthly" if freq == "MONTHLY" else "relativeYearly",
                       daysOfWeek=[_DAYS[byday[0][-2:]]], index=_INDEX[n])
        if freq == "YEARLY":
            pattern["month"] = int(parts.get("BYMONTH", first.month))
    elif freq == "MONTHLY" and not byday:
        pattern.update(type="absoluteMonthly", dayOfMonth=int(parts.get("BYMONTHDAY", first.day)))
    elif freq == "YEARLY" and not byday:
        pattern.update(type="absoluteYearly", dayOfMonth=int(parts.get("BYMONTHDAY", first.day)),
                       month=int(parts.get("BYMONTH", first.month)))
    else:
        raise CalendarError(f"meeting {event.meeting_id!r}: {event.rrule} has no Graph equivalent")
    rng: dict[str, Any] = {"startDate": first.isoformat(), "recurrenceTimeZone": _zone(event.tzid)}
    if "COUNT" in parts:
        rng.update(type="numbered", numberOfOccurrences=int(parts["COUNT"]))
    elif "UNTIL" in parts:
        u = parts["UNTIL"]
        rng.update(type="endDate", endDate=f"{u[:4]}-{u[4:6]}-{u[6:8]}")
    else:
        rng["type"] = "noEnd"
    return {"pattern": pattern, "range": rng}


def event_json(event: PlannedEvent) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": event.title,
        "body": {"contentType": "text", "content": description(event)},
        "start": _time(event.start, event.tzid), "end": _time(event.end, event.tzid),
        "isAllDay": event.all_day,
        "location": {"displayName": event.location or event.online_url},
        "attendees": [{"emailAddress": {"address": a.email, "name": a.name},
                       "type": "optional" if a.role == "OPT-PARTICIPANT" else "required"} for a in event.attendees],
        "responseRequested": True, "allowNewTimeProposals": True,
        "showAs": "free" if event.all_day and (event.end - event.start).days > 1 else "busy",  # type: ignore[operator]
        "reminderMinutesBeforeStart": 15 if not event.all_day else 15 * 60, "isReminderOn": True,
    }
    rec = recurrence(event)
    if rec:
        body["recurrence"] = rec
    if event.online_url:
        body["onlineMeetingUrl"] = event.online_url
    return body


class GraphCalendar:
    """Calendar calls against one mailbox. ``token`` returns a bearer token (msal)."""

    def __init__(self, mailbox: str, token: Callable[[], str], *, base_url: str = "https://graph.microsoft.com/v1.0",
                 client: httpx.Client | None = None) -> None:
        self.mailbox, self.token, self.base = mailbox, token, base_url.rstrip("/")
        self.client = client or httpx.Client(timeout=30)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              params: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.client.request(method, f"{self.base}/users/{self.mailbox}{path}", json=body, params=params,
                                       headers={"Authorization": f"Bearer {self.token()}",
                                                "Prefer": 'outlook.timezone="UTC"'})
        if response.status_code >= 400:
            code = ""
            try:
                code = response.json().get("error", {}).get("code", "")
            except ValueError:
                pass
            raise GraphError(f"Graph {method} {path.split('?')[0]}: HTTP {response.status_code} {code}".strip())
        return response.json() if response.content else {}

    def create(self, event: PlannedEvent) -> str:
        data = dict(event_json(event), transactionId=event.uid)
        created = self._call("POST", "/events", data)
        self._exceptions(created["id"], event)
        return str(created["id"])

    def update(self, item_id: str, event: PlannedEvent) -> None:
        self._call("PATCH", f"/events/{item_id}", event_json(event))
        self._exceptions(item_id, event)

    def cancel(self, item_id: str, comment: str = "This meeting has been cancelled.") -> None:
        self._call("POST", f"/events/{item_id}/cancel", {"comment": comment})

    def _instance(self, item_id: str, original: dt.datetime | dt.date) -> dict[str, Any] | None:
        day = original.astimezone(dt.timezone.utc).date() if isinstance(original, dt.datetime) else original
        found = self._call("GET", f"/events/{item_id}/instances", params={
            "startDateTime": f"{day.isoformat()}T00:00:00Z",
            "endDateTime": f"{(day + dt.timedelta(days=1)).isoformat()}T00:00:00Z"})
        values = found.get("value", [])
        return values[0] if values else None

    def _exceptions(self, item_id: str, event: PlannedEvent) -> None:
        """Cancel the cancelled occurrences and move the moved ones, each on its own instance."""
        if not event.rrule:
            return
        for day in event.exdates:
            instance = self._instance(item_id, day)
            if instance and not instance.get("isCancelled"):
                self.cancel(instance["id"], "This occurrence has been cancelled.")
        for o in event.overrides:
            instance = self._instance(item_id, o.recurrence_id)
            if instance:
                patch: dict[str, Any] = {"start": _time(o.start, event.tzid), "end": _time(o.end, event.tzid)}
                if o.note:
                    patch["body"] = {"contentType": "text", "content": description(event, o.note)}
                self._call("PATCH", f"/events/{instance['id']}", patch)
