"""Per-owner feeds: an .ics of the due dates of each person's actions.

Subscribed in Outlook ("Add calendar → From internet") an owner sees their deadlines
beside their meetings. All-day events, METHOD:PUBLISH, no ORGANIZER: nobody is asked
to reply. UIDs derive from the plan key and the action ref, so a due date that moves
moves the entry instead of adding one; DTSTAMP is the action's last change, so an
unchanged plan gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from planwarden.calendar.events import organiser_of, uid_domain
from planwarden.calendar.ics import PRODID, Text
from planwarden.core.config import Config
from planwarden.plan.models import Action, ActionOwner, Plan


def owner_feeds(session: Session, config: Config, plan_key: str | None = None) -> dict[str, bytes]:
    """{person id: .ics bytes} for every person who owns an open action with a due date."""
    domain = uid_domain(organiser_of(config))
    query = (select(Action).join(Plan).where(Action.deleted_at.is_(None), Action.due.is_not(None))
             .options(selectinload(Action.owners).selectinload(ActionOwner.person), selectinload(Action.plan))
             .order_by(Plan.key, Action.position, Action.id))
    if plan_key:
        query = query.where(Plan.key == plan_key)
    by_person: dict[str, list[Action]] = defaultdict(list)
    names: dict[str, str] = {}
    for action in session.scalars(query):
        if (action.rag or "").lower() in ("complete", "completed", "blue"):
            continue
        for owner in action.owners:
            by_person[owner.person.key].append(action)
            names[owner.person.key] = owner.person.name
    return {pid: _feed(actions, names[pid], domain) for pid, actions in sorted(by_person.items())}


def _feed(actions: list[Action], name: str, domain: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", Text(f"Action due dates: {name}"))
    for action in actions:
        due: dt.date = action.due  # type: ignore[assignment]
        ev = Event()
        ev.add("uid", f"action-{action.plan.key}-{action.ref}@{domain}".replace(" ", "-"))
        ev.add("dtstamp", action.updated_at.astimezone(dt.timezone.utc))
        ev.add("dtstart", due)
        ev.add("dtend", due + dt.timedelta(days=1))
        ev.add("summary", Text(f"Due: {action.ref} {_short(action.text)}"))
        ev.add("description", Text(f"{action.plan.title or action.plan.key}\n\n{action.ref}: {action.text}\n\n"
                                   f"Owner: {action.owner_text}\nRAG: {(action.rag or 'none').upper()}\n\n"
                                   "Reply to your reminder email to report progress."))
        ev.add("transp", "TRANSPARENT")
        ev.add("x-microsoft-cdo-alldayevent", "TRUE")
        ev.add("x-microsoft-cdo-busystatus", "FREE")
        cal.add_component(ev)
    return cal.to_ical()


def _short(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def write_owner_feeds(session: Session, config: Config, plan_key: str | None, folder: Path) -> list[Path]:
    from planwarden.calendar.service import write_atomic

    written = []
    for person_id, data in owner_feeds(session, config, plan_key).items():
        path = folder / f"{person_id}.ics"
        write_atomic(path, data)
        written.append(path)
    return written
