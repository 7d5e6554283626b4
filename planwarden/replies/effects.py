"""What a verdict does, inside the same transaction that records the message.

Applying updates (progress update + RAG change + history + confirmation queued),
noting an out-of-office return date, marking a bounced address as failing and
telling the secretary. Because all of it commits together with the inbound record,
a crash at any point leaves either everything or nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from planwarden.plan.dates import MONTHS, find_dates
from planwarden.mail.compose import Draft
from planwarden.mail.outbox import already_queued, enqueue
from planwarden.mail.tags import subject_tag
from planwarden.plan.models import Action, ActionOwner, OutboxMessage, Person, Plan, ProgressUpdate
from planwarden.replies.placing import today_for
from planwarden.plan.store import record_change, sync_person

if TYPE_CHECKING:
    from planwarden.replies.rules import Context

_NO_REPLY = re.compile(r"^(?:no-?reply|do-?not-?reply|mailer-daemon|postmaster|bounces?|notifications?)\b", re.I)


def _key(prefix: str, message_id: str) -> str:
    return f"{prefix}:{hashlib.sha256(message_id.encode('utf-8', 'replace')).hexdigest()[:48]}"


# --------------------------------------------------------------------------- apply


def _merge(ctx: Context) -> list[Any]:
    """Two paragraphs for the same ref in one reply are one update (texts joined, last RAG)."""
    merged: dict[int, Any] = {}
    for u in ctx.placement.updates:
        prior = merged.get(u.action.id)
        if prior is None:
            merged[u.action.id] = u
            continue
        prior.extracted.text = "\n\n".join(t for t in (prior.extracted.text, u.extracted.text) if t)
        prior.extracted.rag = u.extracted.rag or prior.extracted.rag
        prior.extracted.requested_due = u.extracted.requested_due or prior.extracted.requested_due
    return list(merged.values())


def apply_updates(ctx: Context) -> None:
    mail, session, now = ctx.mail, ctx.session, ctx.now
    applied: list[dict[str, Any]] = []
    for u in _merge(ctx):
        action: Action = u.action
        e = u.extracted
        author = ctx.sender_check(action) or mail.sender
        decision = "applied" + ("; new due date requested for the board" if e.requested_due else "")
        update = ProgressUpdate(action_id=action.id, date=today_for(action, now), author=author, text=e.text,
                                rag=e.rag, source="email", message_id=mail.message_id,
                                requested_due=e.requested_due, decision=decision, created_at=now)
        session.add(update)  # not through action.updates: that would load every earlier update
        session.flush()
        record_change(session, action, "update", None,
                      {"id": update.id, "text": e.text, "rag": e.rag, "author": author,
                       "requested_due": e.requested_due.isoformat() if e.requested_due else None},
                      actor=mail.sender, source="email", source_ref=mail.message_id, at=now)
        if e.rag and e.rag != action.rag:
            record_change(session, action, "rag", action.rag, e.rag, actor=mail.sender, source="email",
                          source_ref=mail.message_id, at=now)
            action.rag = e.rag
        action.updated_at = now
        applied.append({"ref": action.ref, "rag": e.rag, "text": e.text,
                        "requested_due": e.requested_due.isoformat() if e.requested_due else None,
                        "action": action, "author": author})
    ctx.notes.append("applied")
    ctx.applied = applied  # type: ignore[attr-defined]
    send_confirmation(ctx, applied)


def may_answer(address: str, mail_headers: dict[str, list[str]] | None = None) -> bool:
    """Never answer a robot: no-reply addresses, or a message that was itself auto-submitted."""
    if not address or "@" not in address or _NO_REPLY.match(address.split("@", 1)[0]):
        return False
    auto = (mail_headers or {}).get("auto-submitted", [""])[0].split(";")[0].strip().lower()
    return not auto or auto == "no"


def send_confirmation(ctx: Context, applied: list[dict[str, Any]], *, note: str = "") -> None:
    from planwarden.mail.emails import render

    mail = ctx.mail
    if not applied or not may_answer(mail.sender, mail.headers):
        return
    dedupe = _key("confirmation", mail.message_id)  # unique with the inbound Message-ID: never queued before
    plan = applied[0]["action"].plan
    plan_cfg = ctx.config.plan(plan.key)
    items = [{"ref": a["ref"], "action_text": a["action"].text, "rag": a["rag"],
              "rag_label": (a["rag"] or "unchanged").upper() if a["rag"] else "unchanged",
              "text": a["text"], "author": a["author"],
              "requested_due": dt.date.fromisoformat(a["requested_due"]) if a["requested_due"] else None}
             for a in applied]
    context = {"plan": {"key": plan.key, "title": plan.title or plan_cfg.title, "mailbox": plan_cfg.mailbox or ""},
               "recipient": {"name": _greeting_name(ctx, mail.sender, mail.sender_name), "email": mail.sender},
               "items": items, "tag": subject_tag(plan.key, [a["ref"] for a in applied]),
               "original_subject": mail.subject, "note": note, "received": ctx.now}
    rendered = render("confirmation", context)
    headers = {"In-Reply-To": mail.message_id, "References": mail.message_id} if not mail.synthetic_id else {}
    draft = Draft(sender=ctx.config.mail.from_address, sender_name=ctx.config.mail.from_name, to=[mail.sender],
                  subject=rendered.subject, text=rendered.text, html=rendered.html,
                  reply_to=plan_cfg.mailbox or None, headers=headers)
    enqueue(ctx.session, draft, kind="confirmation", dedupe_key=dedupe, plan_key=plan.key,
            items=[{"ref": a["ref"], "action_id": a["action"].id, "kind": "confirmation"} for a in applied])


# --------------------------------------------------------------------------- out of office

_BACK = re.compile(r"\b(?:back|return(?:ing|s)?|in the office|be in|available|out of (?:the )?office until|"
                   r"away until|on leave until|absent until|until)\b", re.I)
_DAY_MONTH = re.compile(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
                        r"[a-z]*\.?(?!\s*,?\s*\d{4})", re.I)


def return_date(text: str, today: dt.date) -> dt.date | None:
    """The day the sender is back, from an out-of-office text (None when none is given)."""
    for m in _BACK.finditer(text or ""):
        window = text[m.end():m.end() + 80]
        found, _ = find_dates(window)
        dates = [f.date for f in found if f.precision == "date"]
        for m2 in _DAY_MONTH.finditer(window):  # "back on Tuesday 3rd January": the next 3 January
            month = MONTHS[m2.group("m")[:3].lower()]
            for year in (today.year, today.year + 1):
                try:
                    candidate = dt.date(year, month, int(m2.group("d")))
                except ValueError:
                    continue
                if candidate > today:
                    dates.append(candidate)
                    break
        future = sorted(d for d in dates if today < d <= today + dt.timedelta(days=366))
        if future:
            return future[0]
    return None


def note_away(ctx: Context, back: dt.date) -> None:
    """Away until the day before they are back: reminders go to the deputy until then."""
    for person in _people_with_email(ctx, ctx.mail.sender):
        person.away_until = back - dt.timedelta(days=1)


def _people_with_email(ctx: Context, address: str) -> list[Person]:
    if not address:
        return []
    rows = list(ctx.session.scalars(select(Person).where(func.lower(Person.email) == address.lower())))
    if not rows:
        cfg = ctx.directory.by_email(address)
        if cfg is not None:
            rows = [sync_person(ctx.session, cfg)]
    return rows


# --------------------------------------------------------------------------- bounces


def failed_recipients(ctx: Context) -> list[tuple[str, str]]:
    """(address, why) for each permanent failure in a bounce."""
    mail = ctx.mail
    if mail.delivery_status is not None:
        return [(f.recipient, " ".join(x for x in (f.status, f.diagnostic) if x)[:300])
                for f in mail.delivery_status
                if f.recipient and (f.action == "failed" or f.status.startswith("5"))]
    ours = {ctx.config.mail.from_address.lower(), *(p.mailbox.lower() for p in ctx.config.settings.plans if p.mailbox)}
    known = {p.email.lower() for p in ctx.directory.config.people}
    found = dict.fromkeys(a.lower() for a in re.findall(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", mail.text))
    return [(a, "undeliverable") for a in found if a in known and a not in ours]


def bounce_effect(ctx: Context, failed: list[tuple[str, str]]) -> None:
    for address, why in failed:
        for person in _people_with_email(ctx, address):
            if person.failing_since is None:
                person.failing_since = ctx.now
            person.failing_reason = why or "undeliverable"
    _tell_secretaries(ctx, failed)


def _plans_for_bounce(ctx: Context, failed: list[tuple[str, str]]) -> list[str]:
    ids = ctx.mail.reported_message_ids
    if ids:
        keys = [k for k in ctx.session.scalars(select(OutboxMessage.plan_key)
                                               .where(OutboxMessage.message_id.in_(ids[:20]))) if k]
        if keys:
            return list(dict.fromkeys(keys))
    addresses = [a for a, _ in failed]
    keys = list(dict.fromkeys(ctx.session.scalars(
        select(Plan.key).join(Action, Action.plan_id == Plan.id).join(ActionOwner, ActionOwner.action_id == Action.id)
        .join(Person, Person.id == ActionOwner.person_id).where(func.lower(Person.email).in_(addresses)))))
    return keys or [p.key for p in ctx.config.settings.plans]


def _tell_secretaries(ctx: Context, failed: list[tuple[str, str]]) -> None:
    from planwarden.mail.emails import render

    for plan_key in _plans_for_bounce(ctx, failed):
        plan_cfg = ctx.config.plan(plan_key)
        secretary = ctx.directory.person(plan_cfg.secretary)
        if secretary is None:
            continue
        dedupe = _key(f"bounce-notice:{plan_key}", ctx.mail.message_id)
        if already_queued(ctx.session, dedupe):
            continue
        people = []
        for address, why in failed:
            cfg = ctx.directory.by_email(address)
            people.append({"email": address, "name": cfg.name if cfg else "", "why": why})
        rendered = render("bounce_notice", {
            "plan": {"key": plan_key, "title": plan_cfg.title, "mailbox": plan_cfg.mailbox or ""},
            "recipient": {"name": secretary.name, "email": secretary.email}, "failed": people,
            "subject": ctx.mail.subject, "received": ctx.now})
        draft = Draft(sender=ctx.config.mail.from_address, sender_name=ctx.config.mail.from_name,
                      to=[secretary.email], subject=rendered.subject, text=rendered.text, html=rendered.html,
                      reply_to=plan_cfg.mailbox or None)
        enqueue(ctx.session, draft, kind="notice", dedupe_key=dedupe, plan_key=plan_key)


def _greeting_name(ctx: Context, sender: str, display_name: str | None) -> str:
    """The name the directory knows them by, else their display name; never a bare address."""
    person = ctx.directory.by_email(sender)
    if person is not None:
        return person.name
    return display_name or "colleague"
