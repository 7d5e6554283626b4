"""The reply policy: a table of small named rules, tried in order; the first verdict wins.

| rule | outcome | when |
|---|---|---|
| duplicate | ignored | the Message-ID has been recorded before |
| auto-reply | ignored | Auto-Submitted (not ``no``), X-Auto-Response-Suppress, Precedence bulk/junk/list, empty Return-Path, an "Automatic reply:" subject (an out-of-office return date is noted) |
| bounce | ignored | a delivery-status report: the address is marked failing, the secretary told |
| sender | quarantined | From is not an owner or registered deputy of the action |
| dmarc | quarantined | Authentication-Results says dmarc=fail |
| no-action | quarantined | no action could be found (or it has been deleted) |
| empty | quarantined | nothing to record: no text and no RAG |
| apply | applied | everything else |

A rule is ``(ctx) -> Verdict | None``; a verdict may carry an ``effect`` (run in the
same transaction as the record of the outcome).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from sqlalchemy.orm import Session

from planwarden.core.config import Config
from planwarden.plan.directory import Directory
from planwarden.replies.clean import clean_reply
from planwarden.replies.message import ParsedMail
from planwarden.replies.models import InboundMessage
from planwarden.replies.placing import Placement, SenderCheck, place

Outcome = Literal["applied", "ignored", "quarantined"]


@dataclass
class Verdict:
    outcome: Outcome
    rule: str
    reason: str
    effect: Callable[[Context], None] | None = None


@dataclass
class Context:
    session: Session
    config: Config
    directory: Directory
    mail: ParsedMail
    now: dt.datetime
    seen: InboundMessage | None = None
    notes: list[str] = field(default_factory=list)

    @cached_property
    def text(self) -> str:
        return clean_reply(self.mail.text)

    @cached_property
    def sender_check(self) -> SenderCheck:
        return SenderCheck(self.directory, self.mail.sender)

    @cached_property
    def placement(self) -> Placement:
        return place(self.session, self.mail, self.text, self.sender_check)


Rule = Callable[[Context], "Verdict | None"]

# --------------------------------------------------------------------------- rules

_AUTO_SUBJECT = re.compile(
    r"^\s*(?:(?:re|aw|fw|fwd)\s*:\s*)*(?:automatic reply|auto(?:matic)?[ -]?reply|auto[ -]?response|autoreply"
    r"|out of (?:the )?office|ooo\b|abwesenheitsnotiz|automatische antwort|réponse automatique|respuesta automática"
    r"|absence)\b", re.I)


def duplicate(ctx: Context) -> Verdict | None:
    if ctx.seen is None:
        return None
    return Verdict("ignored", "duplicate", f"duplicate: Message-ID already recorded ({ctx.seen.outcome}"
                   f"{': ' + ctx.seen.reason if ctx.seen.reason else ''})")


def is_bounce(mail: ParsedMail) -> bool:
    if mail.delivery_status is not None:
        return True
    local = mail.sender.split("@", 1)[0]
    return local in ("mailer-daemon", "postmaster", "mail-daemon") and bool(re.search(
        r"undeliver|delivery (?:status|failure|has failed)|returned mail|failure notice|could not be delivered"
        r"|mail delivery (?:failed|subsystem)", mail.subject, re.I))


def auto_reply(ctx: Context) -> Verdict | None:
    mail = ctx.mail
    if is_bounce(mail):
        return None  # bounces have a rule of their own
    why = None
    auto = mail.header("auto-submitted").split(";")[0].strip().lower()
    precedence = mail.header("precedence").strip().lower()
    if auto and auto != "no":
        why = f"Auto-Submitted: {auto}"
    elif "x-auto-response-suppress" in mail.headers:
        why = "X-Auto-Response-Suppress"
    elif precedence in ("bulk", "junk", "list", "auto_reply"):
        why = f"Precedence: {precedence}"
    elif mail.return_path == "":
        why = "empty Return-Path"
    elif _AUTO_SUBJECT.match(mail.subject):
        why = f"subject {mail.subject[:60]!r}"
    elif any(h in mail.headers for h in ("x-autoreply", "x-autorespond", "x-auto-reply")):
        why = "X-Autoreply"
    if why is None:
        return None
    from planwarden.replies.effects import note_away, return_date

    back = return_date(ctx.text or mail.text, ctx.now.date())
    reason = f"auto-reply ({why})"
    if back:
        reason += f": away until {back.isoformat()}; reminders go to the deputy until then"
        return Verdict("ignored", "auto-reply", reason, lambda c: note_away(c, back))
    return Verdict("ignored", "auto-reply", reason)


def bounce(ctx: Context) -> Verdict | None:
    if not is_bounce(ctx.mail):
        return None
    from planwarden.replies.effects import bounce_effect, failed_recipients

    failed = failed_recipients(ctx)
    if not failed:
        return Verdict("ignored", "bounce", "bounce: delivery report without a permanent failure")
    who = ", ".join(f"{addr} ({why})" if why else addr for addr, why in failed[:5])
    return Verdict("ignored", "bounce", f"bounce: delivery failed to {who}; address marked failing, "
                   "secretary told", lambda c: bounce_effect(c, failed))


def sender(ctx: Context) -> Verdict | None:
    mail = ctx.mail
    if not mail.sender:
        return Verdict("quarantined", "sender", "sender: the message has no From address")
    placement = ctx.placement
    if not placement.updates:
        if ctx.sender_check.person is None:
            return Verdict("quarantined", "sender", f"sender {mail.sender} is not in the directory "
                           "(not an owner or registered deputy)")
        return None  # a known person; the no-action rule says what is missing
    refused = [u.action.ref for u in placement.updates if ctx.sender_check(u.action) is None]
    if refused:
        return Verdict("quarantined", "sender", f"sender {mail.sender} is not an owner or registered deputy of "
                       f"{', '.join(refused)}")
    return None


_DMARC = re.compile(r"\bdmarc\s*=\s*(\w+)", re.I)


def dmarc(ctx: Context) -> Verdict | None:
    for header in ctx.mail.all("authentication-results"):
        for result in _DMARC.findall(header):
            if result.lower() == "fail":
                return Verdict("quarantined", "dmarc", "sender authentication failed: dmarc=fail")
    return None


def no_action(ctx: Context) -> Verdict | None:
    placement = ctx.placement
    if placement.updates:
        return None
    return Verdict("quarantined", "no-action", placement.problem or "no action found")


def empty(ctx: Context) -> Verdict | None:
    blank = [u.action.ref for u in ctx.placement.updates
             if not u.extracted.text.strip() and not u.extracted.rag and not u.extracted.requested_due]
    if blank:
        return Verdict("quarantined", "empty", f"no update found in the reply for {', '.join(blank)}")
    return None


def apply(ctx: Context) -> Verdict | None:
    from planwarden.replies.effects import apply_updates

    refs = ", ".join(u.action.ref for u in ctx.placement.updates)
    return Verdict("applied", "apply", f"applied to {refs}", apply_updates)


RULES: list[tuple[str, Rule]] = [
    ("duplicate", duplicate),
    ("auto-reply", auto_reply),
    ("bounce", bounce),
    ("sender", sender),
    ("dmarc", dmarc),
    ("no-action", no_action),
    ("empty", empty),
    ("apply", apply),
]


def decide(ctx: Context) -> Verdict:
    for _name, rule in RULES:
        verdict = rule(ctx)
        if verdict is not None:
            return verdict
    raise AssertionError("the apply rule always decides")  # pragma: no cover
