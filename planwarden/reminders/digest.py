"""Who receives which reminder: one digest per recipient per run. Pure: no I/O.

Owners come from the directory (the file is the truth, so an owner removed from it is
noticed at once). An owner who is away (an out-of-office reply set ``away_until``) is
replaced by their deputies; an owner whose address is invalid or failing (bounced),
and any owner text that resolves to nobody, is routed to the plan's secretary, saying
why. Escalations copy the owner's escalation contact — unless that would give the
contact a second email in this run, in which case the escalated items are listed in
the contact's own digest instead: nobody ever gets two emails from one run.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from planwarden.mail import replyhelp
from planwarden.plan import rag
from planwarden.reminders.schedule import Reminder

_EMAIL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,}$")


def valid_email(address: str) -> bool:
    """A deliverable-looking address (the directory only checks for an '@')."""
    return bool(address) and len(address) <= 254 and _EMAIL.match(address) is not None


@dataclass(frozen=True)
class Recipient:
    key: str  # directory person id, or "mailbox:<address>"
    name: str
    email: str


@dataclass(frozen=True)
class PersonState:
    """Mail state of a person kept in the store (set by replies and bounces)."""

    away_until: dt.date | None = None
    failing_since: dt.datetime | None = None
    failing_reason: str | None = None


@dataclass(frozen=True)
class LastUpdate:
    date: dt.date | None
    text: str
    rag: str | None


@dataclass(frozen=True)
class ActionInfo:
    """What a reminder shows about an action."""

    action_id: int
    ref: str
    text: str
    owner_text: str
    due: dt.date | None
    due_text: str
    rag: str | None
    milestones: tuple[dt.date, ...] = ()
    last_update: LastUpdate | None = None
    former_owners: tuple[str, ...] = ()  # stored owners no longer in the directory


@dataclass(frozen=True)
class Route:
    """One way an action reaches a recipient, and why (shown in the email)."""

    recipient: Recipient
    role: str  # owner | deputy | secretary | escalation
    note: str = ""


@dataclass
class DigestItem:
    reminder: Reminder
    action: ActionInfo
    role: str
    notes: list[str] = field(default_factory=list)


@dataclass
class Failure:
    """A message that could not be delivered, told to the secretary once."""

    outbox_id: int
    to: list[str]
    subject: str
    reason: str


@dataclass
class Digest:
    recipient: Recipient
    items: list[DigestItem] = field(default_factory=list)
    cc: list[Recipient] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    _by_action: dict[int, DigestItem] = field(default_factory=dict, repr=False)

    @property
    def refs(self) -> list[str]:
        return [i.action.ref for i in self.items]

    def add(self, reminder: Reminder, action: ActionInfo, role: str, note: str) -> None:
        """One item per action: a second route to the same person adds its note."""
        item = self._by_action.get(action.action_id)
        if item is not None:
            if note and note not in item.notes:
                item.notes.append(note)
            return
        item = self._by_action[action.action_id] = DigestItem(reminder, action, role, [note] if note else [])
        self.items.append(item)


class Router:
    """Resolves an action's owners to the people who receive its reminder today.

    ``resolve`` is ``Directory.resolve`` (owner text -> Resolution); ``person`` looks a
    directory id up. Results are cached per owner text: 50,000 actions share a few
    thousand owner texts.
    """

    def __init__(self, resolve: Callable[[str], Any], person: Callable[[str | None], Any],
                 states: dict[str, PersonState], today: dt.date, secretary: Recipient,
                 business_manager: Recipient | None) -> None:
        self._resolve, self._person, self.states, self.today = resolve, person, states, today
        self.secretary, self.business_manager = secretary, business_manager
        self._cache: dict[str, tuple[list[Route], list[Recipient]]] = {}

    def routes(self, action: ActionInfo) -> tuple[list[Route], list[Recipient]]:
        """(who gets it, escalation contacts)."""
        cached = self._cache.get(action.owner_text)
        if cached is None:
            cached = self._cache[action.owner_text] = self._routes(action.owner_text)
        routes, escalation = cached
        if action.former_owners and any(r.role == "secretary" for r in routes):
            gone = ", ".join(action.former_owners)
            routes = [Route(r.recipient, r.role, f"{r.note} ({gone} has been removed from the directory)")
                      if r.role == "secretary" else r for r in routes]
        return routes, escalation

    def _routes(self, owner_text: str) -> tuple[list[Route], list[Recipient]]:
        resolution = self._resolve(owner_text)
        routes: list[Route] = []
        for person in resolution.people:
            routes.extend(self._person_routes(person))
        if resolution.unresolved or not resolution.owners:
            missing = "; ".join(resolution.unresolved) or owner_text.strip()
            note = (f"the owner \u201c{missing}\u201d is not in the directory" if missing
                    else "no owner is given")
            routes.append(Route(self.secretary, "secretary", note + ": please find the owner or correct the directory"))
        escalation = [_recipient(p) for p in resolution.escalation if valid_email(p.email)]
        if not escalation and self.business_manager:
            escalation = [self.business_manager]
        return _unique_routes(routes), escalation

    def _person_routes(self, person: Any) -> list[Route]:
        state = self.states.get(person.id, PersonState())
        if not valid_email(person.email):
            return [Route(self.secretary, "secretary",
                          f"{person.name}'s address \u201c{person.email}\u201d is not a valid email address: "
                          "please correct the directory")]
        if state.failing_since is not None:
            why = f": {state.failing_reason}" if state.failing_reason else ""
            return [Route(self.secretary, "secretary",
                          f"{person.name}'s address {person.email} is failing since "
                          f"{state.failing_since.date().isoformat()}{why}")]
        if state.away_until is not None and state.away_until >= self.today:
            deputies = [d for d in (self._person(i) for i in person.deputies) if d and self._reachable(d)]
            until = state.away_until.strftime("%-d %B %Y")
            if not deputies:
                return [Route(self.secretary, "secretary",
                              f"{person.name} is away until {until} and has no deputy who can take it")]
            return [Route(_recipient(d), "deputy", f"{person.name} is away until {until}: sent to you as their deputy")
                    for d in deputies]
        return [Route(_recipient(person), "owner")]

    def _reachable(self, person: Any) -> bool:
        state = self.states.get(person.id, PersonState())
        away = state.away_until is not None and state.away_until >= self.today
        return valid_email(person.email) and state.failing_since is None and not away


def _recipient(person: Any) -> Recipient:
    return Recipient(person.id, person.name, person.email)


def _unique_routes(routes: Iterable[Route]) -> list[Route]:
    seen: dict[tuple[str, str], Route] = {}
    for r in routes:
        key = (r.recipient.key, r.note)
        seen.setdefault(key, r)
    return list(seen.values())


def build_digests(reminders: Sequence[Reminder], actions: dict[int, ActionInfo], router: Router,
                  failures: Sequence[Failure] = ()) -> list[Digest]:
    """One digest per recipient. Deterministic: same input, same digests in the same order."""
    digests: dict[str, Digest] = {}

    def digest(r: Recipient) -> Digest:
        return digests.setdefault(r.key, Digest(r))

    wanted_cc: dict[str, list[tuple[str, Recipient]]] = {}  # cc key -> [(digest key, recipient)]
    escalated: list[tuple[Reminder, ActionInfo, list[Recipient], list[Route]]] = []
    for reminder in reminders:
        action = actions[reminder.action_id]
        routes, escalation = router.routes(action)
        for route in routes:
            digest(route.recipient).add(reminder, action, route.role, route.note)
        if reminder.kind == "no-due-date" and all(r.recipient.key != router.secretary.key for r in routes):
            digest(router.secretary).add(reminder, action, "secretary",
                                         "copy for the secretary: this action has no due date")
        if reminder.kind == "escalation":
            escalated.append((reminder, action, escalation, routes))
            for contact in escalation:
                for route in routes:
                    if route.recipient.key != contact.key:
                        wanted_cc.setdefault(contact.key, []).append((route.recipient.key, contact))
    if failures:
        digest(router.secretary).failures.extend(failures)
    _copy_escalations(digests, wanted_cc, escalated)
    order = {r.action_id: n for n, r in enumerate(reminders)}
    for d in digests.values():
        d.items.sort(key=lambda i: order.get(i.action.action_id, 0))  # plan order, whatever the route
    return sorted(digests.values(), key=lambda d: (d.recipient.email.lower(), d.recipient.key))


def _copy_escalations(digests: dict[str, Digest], wanted_cc: dict[str, list[tuple[str, Recipient]]],
                      escalated: list[tuple[Reminder, ActionInfo, list[Recipient], list[Route]]]) -> None:
    """Cc an escalation contact on the one digest that needs them; otherwise (they have
    their own digest, or several digests want them) list the items in their own digest."""
    by_copy: dict[str, str] = {}
    for key, wants in wanted_cc.items():
        targets = {digest_key for digest_key, _ in wants}
        contact = wants[0][1]
        if key not in digests and len(targets) == 1:
            target = digests[targets.pop()]
            if all(c.key != key for c in target.cc):
                target.cc.append(contact)
            by_copy[key] = target.recipient.key
    for reminder, action, contacts, routes in escalated:
        owners = ", ".join(sorted({r.recipient.name for r in routes})) or "nobody"
        for contact in contacts:
            if contact.key in by_copy or all(r.recipient.key == contact.key for r in routes):
                continue
            days = reminder.days or 0
            digests.setdefault(contact.key, Digest(contact)).add(
                reminder, action, "escalation",
                f"escalated to you: {days} days overdue (reminder sent to {owners})")


# --------------------------------------------------------------------------- presentation


def shorten(text: str, width: int) -> str:
    """Whitespace collapsed; cut at a word boundary with an ellipsis when too long."""
    text = " ".join((text or "").split())
    if len(text) <= width:
        return text
    cut = text[: width - 1]
    space = cut.rfind(" ")
    if space > width * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-\u2013") + "\u2026"


def days_phrase(days: int | None) -> str:
    if days is None:
        return "no due date"
    if days < 0:
        return f"{-days} day{'s' if days != -1 else ''} left"
    if days == 0:
        return "due today"
    return f"{days} day{'s' if days != 1 else ''} overdue"


KIND_LABELS = {"ahead": "Coming up", "due": "Due today", "overdue": "Overdue", "escalation": "Overdue \u2013 escalated",
               "no-due-date": "No due date"}


def item_context(item: DigestItem) -> dict[str, Any]:
    a, r = item.action, item.reminder
    label, background, colour = rag.STYLES.get((a.rag or "").lower() or None, rag.STYLES[None])
    last = a.last_update
    return {
        "ref": a.ref, "kind": r.kind, "kind_label": KIND_LABELS[r.kind], "role": item.role,
        "text": shorten(a.text, 300), "owner_text": a.owner_text,
        "due": a.due, "due_text": a.due_text, "days": r.days, "days_phrase": days_phrase(r.days),
        "overdue": (r.days or 0) > 0,
        "rag": a.rag, "rag_label": label, "rag_background": background, "rag_colour": colour,
        "last_update": None if last is None else {"date": last.date, "text": shorten(last.text, 400),
                                                  "rag": last.rag},
        "milestones": list(a.milestones), "notes": list(item.notes),
        "compact": item.role == "escalation",  # copies for information: one line each
    }


MAX_TAG = 120


def tag_for(plan_key: str, refs: Sequence[str]) -> str:
    """The subject tag naming every ref; just the plan when that would be too long
    (replies are then placed by Message-ID and the refs written in the body)."""
    from planwarden.mail.tags import subject_tag

    unique = list(dict.fromkeys(refs))
    tag = subject_tag(plan_key, unique)
    return tag if len(tag) <= MAX_TAG else subject_tag(plan_key, [])


def digest_context(digest: Digest, *, plan: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """Everything the reminder templates show (plain data: dates, strings, lists)."""
    items = [item_context(i) for i in digest.items]
    full = [i for i in items if not i["compact"]]
    compact = [i for i in items if i["compact"]]
    counts: dict[str, int] = {}
    for i in items:
        counts[i["kind"]] = counts.get(i["kind"], 0) + 1
    return {
        "plan": plan, "today": today, "tag": tag_for(plan["key"], digest.refs),
        "recipient": {"name": digest.recipient.name, "email": digest.recipient.email},
        "cc": [{"name": c.name, "email": c.email} for c in digest.cc],
        "items": items, "full": full, "compact": compact, "counts": counts,
        "example_ref": full[0]["ref"] if full else "1.1a",
        "how_to_reply": {"instructions": replyhelp.INSTRUCTIONS,
                         "example": replyhelp.example(full[0]["ref"] if full else "1.1a")},
        "failures": [{"to": f.to, "subject": f.subject, "reason": f.reason} for f in digest.failures],
    }
