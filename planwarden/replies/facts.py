"""Everything the rules need to know beyond the message itself, read once from the database.

Rules are pure functions of a ``ParsedMail`` and these ``Facts`` (Mailman style), so each
can be tested with no database: build a ``Facts`` by hand. ``gather`` is the one place
that reads the store for a reply: the earlier record of the same Message-ID, the actions
it is placed on with who may update them, the sender's recent updates (repeats), which
reported Message-IDs planwarden sent (bounces), and our receiving server's
authentication verdict.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from planwarden.core.clock import local_date
from planwarden.core.config import Config
from planwarden.plan.directory import Directory
from planwarden.plan.models import OutboxMessage
from planwarden.replies import auth
from planwarden.replies.clean import clean_reply
from planwarden.replies.extract import ratings
from planwarden.replies.message import ParsedMail, is_bounce
from planwarden.replies.models import InboundMessage
from planwarden.replies.placing import Placement, SenderCheck, add_recent, place


@dataclass(frozen=True)
class Seen:
    """The earlier record of the same Message-ID."""

    id: int
    outcome: str
    reason: str
    waiting: bool  # quarantined and not yet decided


@dataclass
class Facts:
    now: dt.datetime
    today: dt.date  # the plan's local date when the reply is read
    text: str = ""  # the owner's own words (quoted history, signature, footers removed)
    seen: Seen | None = None
    sender_known: bool = False  # the From addr-spec is a person in the directory
    placement: Placement = field(default_factory=Placement)
    auth: auth.AuthVerdict = field(default_factory=lambda: auth.AuthVerdict(False))
    auth_required: bool = False
    ours: frozenset[str] = frozenset()  # Message-IDs named by the message that planwarden sent
    ours_recipients: frozenset[str] = frozenset()  # who those messages went to: the only addresses a bounce can mark
    people: frozenset[str] = frozenset()  # every address in the directory
    own_addresses: frozenset[str] = frozenset()  # planwarden's own sending and reply-to addresses
    html_ratings: frozenset[str] | None = None  # the ratings the HTML version states (None: no HTML version)


def authserv_ids(config: Config) -> list[str]:
    """The receiving servers whose Authentication-Results count: [mail] and each plan's own mailbox."""
    ids = list(config.settings.mail.authserv_ids)
    for plan in config.settings.plans:
        if plan.mail is not None:
            ids += plan.mail.authserv_ids
    return ids


def gather(session: Session, config: Config, directory: Directory, mail: ParsedMail, now: dt.datetime) -> Facts:
    seen_row = session.scalar(select(InboundMessage).where(InboundMessage.message_id == mail.message_id))
    timezone = config.settings.plans[0].timezone if config.settings.plans else "Europe/London"
    facts = Facts(now=now, today=local_date(now, timezone), text=clean_reply(mail.text))
    if mail.html_text:
        facts.html_ratings = frozenset(ratings(clean_reply(mail.html_text))[0])
    if seen_row is not None:
        facts.seen = Seen(seen_row.id, seen_row.outcome, seen_row.reason or "",
                          seen_row.outcome == "quarantined" and seen_row.resolved_at is None)
        return facts
    check = SenderCheck(directory, mail.sender)
    facts.sender_known = check.person is not None
    facts.placement = place(session, mail, facts.text, check, facts.today)
    add_recent(session, facts.placement, now)
    facts.auth = auth.read(mail.all("authentication-results"), authserv_ids(config))
    facts.auth_required = config.settings.mail.require_authentication
    if is_bounce(mail):  # only bounces need to know which messages were ours, and who is who
        _bounce_facts(session, config, directory, mail, facts)
    return facts


def _bounce_facts(session: Session, config: Config, directory: Directory, mail: ParsedMail, facts: Facts) -> None:
    named = [*mail.reported_message_ids, *mail.parent_ids, *_ids_in_text(mail)][:60]
    if named:
        rows = session.execute(select(OutboxMessage.message_id, OutboxMessage.to, OutboxMessage.cc)
                               .where(OutboxMessage.message_id.in_(named))).all()
        facts.ours = frozenset(mid for mid, _to, _cc in rows)
        facts.ours_recipients = frozenset(a.lower() for _mid, to, cc in rows for a in [*(to or []), *(cc or [])])
    facts.people = frozenset(p.email.lower() for p in directory.config.people)
    facts.own_addresses = frozenset({config.mail.from_address.lower(),
                                     *(p.mailbox.lower() for p in config.settings.plans if p.mailbox),
                                     *(p.mail.from_address.lower() for p in config.settings.plans if p.mail)})


def _ids_in_text(mail: ParsedMail) -> list[str]:
    """Message-IDs quoted in a bounce's text (servers that send no RFC 3464 report)."""
    return re.findall(r"<[^<>\s@]+@[^<>\s]+>", mail.text)[:20] if mail.delivery_status is None else []
