"""An action's owners: resolving its owner text to people, and the secretary's hand mappings.

Import, the console's corrections and the secretary's mapping all set an action's owners
the same way (``set_owners``), through a directory that knows the plan's mappings
(``directory_for``): once the secretary has said who "Head of Early Help" is, every
later import of that text, and every correction to it, resolves to those people.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from planwarden.core import clock
from planwarden.plan.directory import Directory, Resolution, normalise, tidy
from planwarden.plan.models import Action, ActionOwner, OwnerMapping, Person, Plan
from planwarden.plan.store import record_change, sync_person


class MappingError(ValueError):
    """The mapping cannot be made: the message says why, for people."""


def directory_for(session: Session, directory: Directory, plan_id: int | None) -> Directory:
    """The directory with this plan's hand mappings added (the same directory when there are none)."""
    if plan_id is None:
        return directory
    rows = session.execute(select(OwnerMapping.owner_text, OwnerMapping.people)
                           .where(OwnerMapping.plan_id == plan_id)).all()
    if not rows:
        return directory
    return Directory(directory.config, {**directory.mappings, **{text: list(people) for text, people in rows}})


def set_owners(session: Session, action: Action, resolution: Resolution) -> bool:
    """Make the action's owner rows the resolution's people, in order, once each; True if they changed."""
    wanted: list[tuple[Person, str, str]] = []
    for owner in resolution.owners:
        for person in owner.people:
            row = sync_person(session, person)
            if all(row.id != w[0].id for w in wanted):
                wanted.append((row, owner.name, owner.kind))
    current = [(o.person_id, o.via, o.kind) for o in action.owners]
    if current == [(p.id, via, kind) for p, via, kind in wanted]:
        return False
    action.owners.clear()
    session.flush()
    for pos, (person, via, kind) in enumerate(wanted):
        action.owners.append(ActionOwner(person_id=person.id, via=via, kind=kind, position=pos))
    return True


def map_owner_text(session: Session, directory: Directory, plan_key: str, owner_text: str, person_ids: list[str],
                   *, actor: str) -> dict[str, Any]:
    """Say which directory people an owner text means, for this plan; resolve every action carrying it now.

    Each action whose owners change gets an ``owners`` history row (source ``manual``).
    """
    text = tidy(owner_text)
    ids = list(dict.fromkeys(i for i in person_ids if i))
    if not text:
        raise MappingError("name the owner text to map")
    if not ids:
        raise MappingError(f"choose at least one person from the directory for {text!r}")
    unknown = [i for i in ids if directory.person(i) is None]
    if unknown:
        raise MappingError(f"not in the directory: {', '.join(unknown)}")
    plan = session.scalar(select(Plan).where(Plan.key == plan_key))
    if plan is None:
        raise MappingError(f"no plan {plan_key}")
    now = clock.now()
    row = session.scalar(select(OwnerMapping).where(OwnerMapping.plan_id == plan.id,
                                                    OwnerMapping.owner_text == normalise(text)).with_for_update())
    if row is None:
        row = OwnerMapping(plan_id=plan.id, owner_text=normalise(text))
        session.add(row)
    row.people, row.by, row.at = ids, actor, now
    session.flush()
    mapped = directory_for(session, directory, plan.id)
    actions = [a for a in session.scalars(select(Action).where(Action.plan_id == plan.id,
                                                               Action.deleted_at.is_(None)))
               if normalise(text) in normalise(a.owner_text)]  # alone, or one of several owners
    changed = []
    for action in actions:
        before = [o.person.key for o in action.owners]
        if set_owners(session, action, mapped.resolve(action.owner_text)):
            record_change(session, action, "owners", before, {"text": text, "people": ids}, actor=actor,
                          source="manual", source_ref=f"owner text mapped to {', '.join(ids)}", at=now)
            action.updated_at = now
            changed.append(action.ref)
    return {"plan": plan_key, "owner_text": text, "people": ids, "actions": changed}
