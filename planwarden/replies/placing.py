"""Which actions a reply is about, and whether its sender may update them.

Matching order (PRODUCT.md "Replies"): the reminder's Message-ID in In-Reply-To /
References, then the subject tag, then a ref written in the body. Within a reply, a
paragraph that starts with a ref updates that ref.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from planwarden.core.config import PersonConfig
from planwarden.plan.directory import Directory
from planwarden.mail.tags import parse_subject_tag
from planwarden.plan.models import Action, ActionOwner, OutboxMessage, Plan, ProgressUpdate
from planwarden.replies.extract import Extracted, extract, refs_written
from planwarden.replies.message import ParsedMail


@dataclass
class PlacedUpdate:
    action: Action
    plan_key: str
    extracted: Extracted
    author: str | None = None  # "Claire Littlewood" / "Priya Shah for Claire Littlewood"; None: may not update it
    recent: list[tuple[dt.datetime, str, str | None]] = field(default_factory=list)  # this author's last 14 days


@dataclass
class Placement:
    updates: list[PlacedUpdate] = field(default_factory=list)
    problem: str | None = None  # why nothing (or not everything) could be placed
    via: str = ""  # in-reply-to | subject-tag | body
    plan_key: str = ""
    refs: list[str] = field(default_factory=list)


def _candidates_from_headers(session: Session, mail: ParsedMail) -> tuple[str | None, list[dict], str]:
    """(plan key, items [{ref, action_id}], via) from our own Message-IDs or the subject tag."""
    ids = mail.parent_ids
    if ids:
        rows = {r.message_id: r for r in session.scalars(
            select(OutboxMessage).where(OutboxMessage.message_id.in_(ids[:50])))}
        for mid in ids:
            if mid in rows:
                row = rows[mid]
                return row.plan_key or None, [i for i in (row.items or []) if isinstance(i, dict) and i.get("ref")], \
                    "in-reply-to"
    tag = parse_subject_tag(mail.subject)
    if tag is not None:
        return tag.plan, [{"ref": r} for r in tag.refs], "subject-tag"
    return None, [], "body"


def _live_refs(session: Session, plan_key: str | None) -> dict[str, list[tuple[int, str]]]:
    """ref -> [(action id, plan key)] of live actions: cached for the session (one batch)."""
    cache = session.info.setdefault("replies_live_refs", {})
    if plan_key not in cache:
        query = select(Action.id, Action.ref, Plan.key).join(Plan).where(Action.deleted_at.is_(None))
        if plan_key:
            query = query.where(Plan.key == plan_key)
        refs: dict[str, list[tuple[int, str]]] = {}
        for action_id, ref, key in session.execute(query):
            refs.setdefault(ref.lower(), []).append((action_id, key))
        cache[plan_key] = refs
    return cache[plan_key]


def _load(session: Session, ids: list[int]) -> list[Action]:
    """Actions with owners and plan, kept for the session (one batch) so a batch loads each once."""
    cache: dict[int, Action] = session.info.setdefault("replies_actions", {})
    missing = [i for i in dict.fromkeys(ids) if i not in cache]
    if missing:
        for action in session.scalars(select(Action).where(Action.id.in_(missing)).options(
                selectinload(Action.owners).selectinload(ActionOwner.person), selectinload(Action.plan))):
            cache[action.id] = action
    return [cache[i] for i in dict.fromkeys(ids) if i in cache]


def place(session: Session, mail: ParsedMail, text: str, sender_ok: "SenderCheck",
          today: dt.date | None = None) -> Placement:
    """Find the actions the reply updates; ``problem`` says why when it cannot.

    Two paragraphs for the same action are one update (texts joined; their ratings must agree).
    """
    plan_key, items, via = _candidates_from_headers(session, mail)
    if plan_key and session.scalar(select(Plan.id).where(Plan.key == plan_key)) is None:
        return Placement(problem=f"no action found: plan {plan_key!r} named in the reply does not exist", via=via)
    live = _live_refs(session, plan_key)
    candidate_refs = [str(i["ref"]).lower() for i in items]
    known = set(live) | set(candidate_refs)
    pieces = extract(text, known, today)
    placement = Placement(via=via, plan_key=plan_key or "")
    if pieces and pieces[0].ref is None:
        ref, problem = _single_ref(candidate_refs, refs_written(text, known))
        if ref is None:
            placement.problem = problem
            return placement
        pieces[0].ref = ref
    else:
        via = "body" if not candidate_refs else via
    wanted = [i for p in pieces for i, _k in live.get(p.ref or "", [])]
    loaded = {a.id: a for a in _load(session, wanted)}
    by_ref = {ref: [loaded[i] for i, _k in live.get(ref, []) if i in loaded] for ref in {p.ref or "" for p in pieces}}
    for piece in pieces:
        assert piece.ref is not None
        action, problem = _action_for(session, piece.ref, items, by_ref, plan_key, sender_ok)
        placement.refs.append(piece.ref)
        if action is None:
            placement.problem = problem
            placement.updates = []
            return placement
        placement.plan_key = placement.plan_key or action.plan.key
        placement.updates.append(PlacedUpdate(action, action.plan.key, piece, sender_ok(action)))
    placement.updates = _merge(placement.updates)
    return placement


def _merge(updates: list[PlacedUpdate]) -> list[PlacedUpdate]:
    merged: dict[int, PlacedUpdate] = {}
    for u in updates:
        prior = merged.setdefault(u.action.id, u)
        if prior is u:
            continue
        a, b = prior.extracted, u.extracted
        a.text = "\n\n".join(t for t in (a.text, b.text) if t)
        stated = list(dict.fromkeys([*([a.rag] if a.rag else a.conflicting), *([b.rag] if b.rag else b.conflicting)]))
        a.rag, a.conflicting = (stated[0] if len(stated) == 1 else None), (stated if len(stated) > 1 else [])
        a.words = list(dict.fromkeys([*a.words, *b.words]))
        a.rated_refs = list(dict.fromkeys([*a.rated_refs, *b.rated_refs]))
        a.requested_due = b.requested_due or a.requested_due
        a.past_due = b.past_due or a.past_due
        a.copied_example = a.copied_example or b.copied_example
    return list(merged.values())


REPEAT_WINDOW = dt.timedelta(days=14)


def add_recent(session: Session, placement: Placement, now: dt.datetime) -> None:
    """Each placed update's author's own email updates to that action in the last 14 days."""
    ids = [u.action.id for u in placement.updates if u.author]
    if not ids:
        return
    rows = session.execute(select(ProgressUpdate.action_id, ProgressUpdate.author, ProgressUpdate.created_at,
                                  ProgressUpdate.text, ProgressUpdate.rag)
                           .where(ProgressUpdate.action_id.in_(ids), ProgressUpdate.source == "email",
                                  ProgressUpdate.created_at >= now - REPEAT_WINDOW))
    for action_id, author, created, text, rag in rows:
        for u in placement.updates:
            if u.action.id == action_id and u.author == author:
                u.recent.append((created, text or "", rag))


def _single_ref(candidates: list[str], written: list[str]) -> tuple[str | None, str]:
    unique = list(dict.fromkeys(candidates))
    if len(unique) == 1:
        return unique[0], ""
    if len(unique) > 1:
        named = [r for r in written if r in unique]
        if len(named) == 1:
            return named[0], ""
        return None, (f"no action found: the reply to a reminder about {len(unique)} actions "
                      f"({', '.join(unique[:8])}) does not say which one (start each paragraph with its ref)")
    if len(written) == 1:
        return written[0], ""
    if written:
        return None, (f"no action found: the reply names several refs ({', '.join(written[:8])}) "
                      "without starting a paragraph with each")
    return None, "no action found: no reminder Message-ID, subject tag or ref in the reply"


def _action_for(session: Session, ref: str, items: list[dict], by_ref: dict[str, list[Action]],
                plan_key: str | None, sender_ok: "SenderCheck") -> tuple[Action | None, str]:
    for item in items:
        if str(item.get("ref", "")).lower() == ref and item.get("action_id"):
            action = session.get(Action, item["action_id"])
            if action is None or action.deleted_at is not None:
                return None, f"no action found: action {ref} has been deleted since the reminder was sent"
            return action, ""
    found = by_ref.get(ref, [])
    if len(found) > 1:  # the same ref in several plans: the sender's own, if only one is
        mine = [a for a in found if sender_ok(a) is not None]
        found = mine if len(mine) == 1 else found
    if len(found) == 1:
        return found[0], ""
    if len(found) > 1:
        return None, f"no action found: ref {ref} is in several plans ({', '.join(a.plan.key for a in found)})"
    deleted = session.scalar(select(Action).join(Plan).where(func.lower(Action.ref) == ref, Action.deleted_at.is_not(None),
                                                             *([Plan.key == plan_key] if plan_key else [])))
    if deleted is not None:
        return None, f"no action found: action {ref} has been deleted"
    return None, f"no action found: no action {ref}" + (f" in plan {plan_key}" if plan_key else "")


class SenderCheck:
    """Who may update an action: its owners, and the deputies the directory registers for them."""

    def __init__(self, directory: Directory, sender: str) -> None:
        self.directory, self.sender = directory, sender.lower()
        self.person: PersonConfig | None = directory.by_email(sender) if sender else None

    def __call__(self, action: Action) -> str | None:
        """The author label ("Claire Littlewood", "Priya Shah for Claire Littlewood"), or None."""
        if not self.sender:
            return None
        for owner in action.owners:
            if owner.person.email.lower() == self.sender:
                return owner.person.name or self.sender
        if self.person is None:
            return None
        for owner in action.owners:
            owner_cfg = self.directory.person(owner.person.key)
            if owner_cfg and self.person.id in owner_cfg.deputies:
                return f"{self.person.name} for {owner.person.name}"
        return None


def today_for(action: Action, now: dt.datetime) -> dt.date:
    from planwarden.core.clock import local_date

    return local_date(now, action.plan.timezone or "Europe/London")
