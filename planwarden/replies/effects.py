"""What a verdict does, inside the same transaction that records the message.

Applying updates (progress update + RAG change + history + confirmation queued),
noting an out-of-office return date, marking a bounced address as failing and
telling the secretary. Because all of it commits together with the inbound record,
a crash at any point leaves either everything or nothing. Each effect returns a
``Done`` saying what it did; none of them decides anything (the rules did).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from planwarden.mail import keys
from planwarden.core.config import Config
from planwarden.plan.directory import Directory
from planwarden.mail.compose import Draft
from planwarden.mail.outbox import already_queued, enqueue
from planwarden.mail.tags import subject_tag
from planwarden.plan.models import Action, ActionOwner, OutboxMessage, Person, Plan, ProgressUpdate
from planwarden.replies.extract import rating_for
from planwarden.replies.facts import Facts
from planwarden.replies.message import ParsedMail, auto_submitted
from planwarden.replies.placing import today_for
from planwarden.replies.verdicts import ApplyUpdates, Done, MarkFailing, NoteAway
from planwarden.plan.store import record_change, sync_person

_NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|mailer-daemon|postmaster|bounces?|notifications?)\b", re.I)


@dataclass
class Env:
    """Where an effect acts: the open transaction, settings, and the message with its facts."""

    session: Session
    config: Config
    directory: Directory
    mail: ParsedMail
    facts: Facts

    @property
    def now(self) -> dt.datetime:
        return self.facts.now


def _key(prefix: str, message_id: str) -> str:
    return keys.reply(prefix, message_id)


# --------------------------------------------------------------------------- apply


def apply_updates(env: Env, request: ApplyUpdates) -> Done:
    mail, session, now = env.mail, env.session, env.now
    applied: list[dict[str, Any]] = []
    for u in env.facts.placement.updates:
        if u.action.ref in request.skip_refs:
            continue
        action: Action = u.action
        e = u.extracted
        author = u.author or mail.sender
        decision = "applied" + ("; new due date requested for the board" if e.requested_due else "")
        rag, complete = rating_for(e, action.plan.rating_scale)
        update = ProgressUpdate(action_id=action.id, date=today_for(action, now), author=author, text=e.text,
                                rag=rag, source="email", message_id=mail.message_id,
                                requested_due=e.requested_due, decision=decision, created_at=now)
        session.add(update)  # not through action.updates: that would load every earlier update
        session.flush()
        record_change(session, action, "update", None,
                      {"id": update.id, "text": e.text, "rag": rag, "complete": complete, "author": author,
                       "requested_due": e.requested_due.isoformat() if e.requested_due else None},
                      actor=mail.sender, source="email", source_ref=mail.message_id, at=now)
        set_rating(session, action, rag, complete, actor=mail.sender, source_ref=mail.message_id, at=now)
        action.updated_at = now
        applied.append({"ref": action.ref, "rag": rag, "text": e.text,
                        "requested_due": e.requested_due.isoformat() if e.requested_due else None,
                        "action": action, "author": author})
    queued = send_confirmation(session, env.config, env.directory, mail, now, applied, note="\n".join(request.notes))
    return Done(updates=[{k: v for k, v in a.items() if k != "action"} for a in applied], queued=queued)


def set_rating(session: Session, action: Action, rag: str | None, complete: bool | None, *, actor: str,
               source_ref: str, at: dt.datetime) -> None:
    """An update's rating and complete flag onto its action, each change a history row (None: not stated)."""
    if rag is None:
        return
    for name, new in (("rag", rag), ("complete", complete)):
        if new is not None and new != getattr(action, name):
            record_change(session, action, name, getattr(action, name), new, actor=actor, source="email",
                          source_ref=source_ref, at=at)
            setattr(action, name, new)


def may_answer(address: str, mail_headers: dict[str, list[str]] | None = None) -> bool:
    """Never answer a robot or a list (RFC 3834): no-reply addresses, or a message that was
    auto-submitted (in any of its Auto-Submitted headers), bulk, or sent through a list."""
    if not address or "@" not in address or _NO_REPLY.match(address.split("@", 1)[0]):
        return False
    headers = mail_headers or {}
    if any(a != "no" for a in auto_submitted(headers)) or "list-id" in headers or "list-unsubscribe" in headers:
        return False
    return not any(v.strip().lower() in ("bulk", "junk", "list", "auto_reply") for v in headers.get("precedence", []))


def send_confirmation(session: Session, config: Config, directory: Directory, mail: ParsedMail, now: dt.datetime,
                      applied: list[dict[str, Any]], *, note: str = "") -> list[str]:
    """Queue the read-back of what was recorded; returns the outbox keys queued (none for robots)."""
    from planwarden.mail.emails import render

    if not applied or not may_answer(mail.sender, mail.headers):
        return []
    dedupe = _key("confirmation", mail.message_id)  # unique with the inbound Message-ID: never queued before
    plan = applied[0]["action"].plan
    plan_cfg = config.plan(plan.key)
    items = [{"ref": a["ref"], "action_text": a["action"].text, "rag": a["rag"],
              "rag_label": (a["rag"] or "unchanged").upper() if a["rag"] else "unchanged",
              "text": a["text"], "author": a["author"],
              "requested_due": dt.date.fromisoformat(a["requested_due"]) if a["requested_due"] else None}
             for a in applied]
    context = {"plan": {"key": plan.key, "title": plan.title or plan_cfg.title, "mailbox": plan_cfg.mailbox or ""},
               "recipient": {"name": _greeting_name(directory, mail.sender, mail.sender_name), "email": mail.sender},
               "items": items, "tag": subject_tag(plan.key, [a["ref"] for a in applied]),
               "original_subject": mail.subject, "note": note, "received": now}
    rendered = render("confirmation", context)
    headers = {"In-Reply-To": mail.message_id, "References": mail.message_id} if not mail.synthetic_id else {}
    own = config.mail_for(plan.key)
    draft = Draft(sender=own.from_address, sender_name=own.from_name, to=[mail.sender],
                  subject=rendered.subject, text=rendered.text, html=rendered.html,
                  reply_to=plan_cfg.mailbox or None, headers=headers)
    enqueue(session, draft, kind="confirmation", dedupe_key=dedupe, plan_key=plan.key,
            items=[{"ref": a["ref"], "action_id": a["action"].id, "kind": "confirmation"} for a in applied])
    return [dedupe]


# --------------------------------------------------------------------------- out of office

def note_away(env: Env, request: NoteAway) -> Done:
    """Away until the day before they are back: reminders go to the deputy until then."""
    people = _people_with_email(env, env.mail.sender)
    for person in people:
        person.away_until = request.back - dt.timedelta(days=1)
    return Done(marked=[p.email for p in people])


def _people_with_email(env: Env, address: str) -> list[Person]:
    if not address:
        return []
    rows = list(env.session.scalars(select(Person).where(func.lower(Person.email) == address.lower())))
    if not rows:
        cfg = env.directory.by_email(address)
        if cfg is not None:
            rows = [sync_person(env.session, cfg)]
    return rows


# --------------------------------------------------------------------------- bounces


def mark_failing(env: Env, request: MarkFailing) -> Done:
    failed = list(request.failed)
    done = Done()
    for address, why in failed:
        for person in _people_with_email(env, address):
            if person.failing_since is None:
                person.failing_since = env.now
            person.failing_reason = why or "undeliverable"
            done.marked.append(person.email)
    done.queued = _tell_secretaries(env, failed)
    return done


def _plans_for_bounce(env: Env, failed: list[tuple[str, str]]) -> list[str]:
    ids = [*env.mail.reported_message_ids, *env.facts.ours]
    if ids:
        keys = [k for k in env.session.scalars(select(OutboxMessage.plan_key)
                                               .where(OutboxMessage.message_id.in_(ids[:20]))) if k]
        if keys:
            return list(dict.fromkeys(keys))
    addresses = [a for a, _ in failed]
    keys = list(dict.fromkeys(env.session.scalars(
        select(Plan.key).join(Action, Action.plan_id == Plan.id).join(ActionOwner, ActionOwner.action_id == Action.id)
        .join(Person, Person.id == ActionOwner.person_id).where(func.lower(Person.email).in_(addresses)))))
    return keys or [p.key for p in env.config.settings.plans]


def _tell_secretaries(env: Env, failed: list[tuple[str, str]]) -> list[str]:
    from planwarden.mail.emails import render

    queued: list[str] = []
    for plan_key in _plans_for_bounce(env, failed):
        plan_cfg = env.config.plan(plan_key)
        secretary = env.directory.person(plan_cfg.secretary)
        if secretary is None:
            continue
        dedupe = _key(f"bounce-notice:{plan_key}", env.mail.message_id)
        if already_queued(env.session, dedupe):
            continue
        people = []
        for address, why in failed:
            cfg = env.directory.by_email(address)
            people.append({"email": address, "name": cfg.name if cfg else "", "why": why})
        rendered = render("bounce_notice", {
            "plan": {"key": plan_key, "title": plan_cfg.title, "mailbox": plan_cfg.mailbox or ""},
            "recipient": {"name": secretary.name, "email": secretary.email}, "failed": people,
            "subject": env.mail.subject, "received": env.now})
        own = env.config.mail_for(plan_key)
        draft = Draft(sender=own.from_address, sender_name=own.from_name,
                      to=[secretary.email], subject=rendered.subject, text=rendered.text, html=rendered.html,
                      reply_to=plan_cfg.mailbox or None)
        enqueue(env.session, draft, kind="notice", dedupe_key=dedupe, plan_key=plan_key)
        queued.append(dedupe)
    return queued


def _greeting_name(directory: Directory, sender: str, display_name: str | None) -> str:
    """The name the directory knows them by, else their display name; never a bare address."""
    person = directory.by_email(sender)
    if person is not None:
        return person.name
    return display_name or "colleague"
