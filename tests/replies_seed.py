"""A small JTAI plan with reminders already sent, for tests and the ingest benchmark.

Reminders are inserted as outbox rows with their items, exactly as the reminders job
records them, so replies have real Message-IDs to answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from planwarden.core import clock
from planwarden.core.config import Config
from planwarden.plan.directory import Directory
from planwarden.plan.models import Action, ActionOwner, OutboxMessage, Plan
from planwarden.plan.store import record_change, snapshot, sync_person

PLAN = "jtai"
ACTIONS: list[tuple[str, str, list[str], str | None, dt.date | None]] = [
    ("1.1a", "Review the multi-agency audit programme", ["claire.littlewood"], "amber", dt.date(2023, 1, 31)),
    ("2.1c", "Deliver exploitation training to frontline staff", ["claire.littlewood"], "red", dt.date(2022, 12, 16)),
    ("2.1d", "Launch the return home interview process", ["james.adams"], "amber", dt.date(2023, 1, 9)),
    ("3.4a", "Audit strategy meeting minutes", ["claire.littlewood", "simon.whittaker"], "amber", dt.date(2022, 12, 28)),
    ("4.2b", "Publish the learning week evaluation", ["amanda.booth"], None, None),
]


@dataclass(frozen=True)
class Reminder:
    message_id: str
    to: str
    refs: tuple[str, ...]


REMINDERS = [
    Reminder("<reminder-claire-digest@jtai-plan.example.org>", "claire.littlewood@example.org", ("2.1c", "3.4a")),
    Reminder("<reminder-claire-11a@jtai-plan.example.org>", "claire.littlewood@example.org", ("1.1a",)),
    Reminder("<reminder-james-21d@jtai-plan.example.org>", "james.adams@example.org", ("2.1d",)),
    Reminder("<reminder-amanda-42b@jtai-plan.example.org>", "amanda.booth@example.org", ("4.2b",)),
]


def seed(session: Session, config: Config, *, actions: list[tuple[str, str, list[str], str | None, dt.date | None]] | None = None,
         reminders: list[Reminder] | None = None) -> dict[str, int]:
    """Create the plan, its actions and owners, and the sent reminders; returns {ref: action id}."""
    directory = Directory(config.directory)
    plan_cfg = config.plan(PLAN)
    now = clock.now()
    plan = Plan(key=PLAN, title=plan_cfg.title, partnership=plan_cfg.partnership, timezone=plan_cfg.timezone,
                created_at=now)
    session.add(plan)
    session.flush()
    ids: dict[str, int] = {}
    for pos, (ref, text, owners, rag, due) in enumerate(actions if actions is not None else ACTIONS):
        action = Action(plan_id=plan.id, ref=ref, text=text, owner_text=", ".join(owners), rag=rag, due=due,
                        position=pos, created_at=now, updated_at=now, milestones=[])
        session.add(action)
        session.flush()
        for opos, person_id in enumerate(owners):
            cfg = directory.person(person_id)
            assert cfg is not None, person_id
            person = sync_person(session, cfg)
            action.owners.append(ActionOwner(person_id=person.id, via=cfg.name, kind="person", position=opos))
        record_change(session, action, "created", None, snapshot(action), actor="test", source="import")
        ids[ref] = action.id
    for r in reminders if reminders is not None else REMINDERS:
        session.add(OutboxMessage(
            plan_key=PLAN, kind="reminder", dedupe_key=f"test:{r.message_id}", message_id=r.message_id,
            sender=config.mail.from_address, to=[r.to], cc=[], subject=f"[planwarden {PLAN} {' '.join(r.refs)}] Reminder",
            raw=b"", items=[{"ref": ref, "action_id": ids[ref], "kind": "due"} for ref in r.refs], state="sent",
            attempts=1, next_attempt_at=now, created_at=now, sent_at=now, refused={}))
    session.flush()
    return ids
