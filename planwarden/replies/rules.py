"""The reply policy: small named rules that only classify, tried in order; the first verdict wins.

| rule | outcome | when |
|---|---|---|
| duplicate | ignored | the Message-ID has been recorded before |
| receipt | ignored | a read receipt (RFC 8098 disposition notification) |
| calendar-reply | ignored | an attendee's answer to an invitation (iMIP METHOD:REPLY …) |
| auto-reply | ignored | Auto-Submitted (any copy, not ``no``), X-Auto-Response-Suppress, Precedence bulk/junk/list, List-Id / List-Unsubscribe, empty Return-Path, an "Automatic reply:" subject (an out-of-office return date, read against the message's own Date, is noted) |
| bounce | ignored | a delivery report: for a message planwarden sent, the addresses it went to are marked failing and the secretary told; anything else is only noted |
| sender-header | quarantined | not exactly one strictly readable From mailbox (no group syntax), an address shown only in the display name, or a Sender that differs |
| authentication | quarantined | our receiving server's Authentication-Results say dmarc failed, or passed for another domain (or, with ``require_authentication``, did not pass) |
| sender | quarantined | the From addr-spec is not an owner or registered deputy of the action |
| unreadable | quarantined | the body was cut at the limit, is not text, or could not be decoded |
| no-action | quarantined | no action could be found (or it has been deleted) |
| conflicting | quarantined | two different ratings for one action, a rating written for another action's ref, or plain and HTML versions that disagree |
| repeat | ignored | the same owner sent the same words for the same action within 14 days |
| empty | quarantined | nothing to record: no text, no rating, no date |
| apply | applied | everything else |

A rule is ``(mail, facts) -> Verdict | None``: pure, no database, no clock of its own.
What a verdict asks to be done is data (``verdicts.ApplyUpdates`` …); ``chain`` acts on it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from planwarden.plan.dates import MONTHS, find_dates
from planwarden.replies import auth
from planwarden.replies.extract import clash, ratings
from planwarden.replies.facts import Facts
from planwarden.replies.message import BINARY_FLAG, CUT_FLAG, ParsedMail, auto_submitted, is_bounce
from planwarden.replies.placing import REPEAT_WINDOW, PlacedUpdate
from planwarden.replies.verdicts import ApplyUpdates, MarkFailing, NoteAway, Verdict

Rule = Callable[[ParsedMail, Facts], "Verdict | None"]

_AUTO_SUBJECT = re.compile(
    r"^\s*(?:(?:re|aw|fw|fwd)\s*:\s*)*(?:automatic reply|auto(?:matic)?[ -]?reply|auto[ -]?response|autoreply"
    r"|out of (?:the )?office|ooo\b|abwesenheitsnotiz|automatische antwort|réponse automatique|respuesta automática"
    r"|absence)\b", re.I)


def duplicate(mail: ParsedMail, facts: Facts) -> Verdict | None:
    if facts.seen is None:
        return None
    seen = facts.seen
    return Verdict("ignored", "duplicate", f"duplicate: Message-ID already recorded ({seen.outcome}"
                   f"{': ' + seen.reason if seen.reason else ''})")


def receipt(mail: ParsedMail, facts: Facts) -> Verdict | None:
    if not mail.receipt:
        return None
    return Verdict("ignored", "receipt", "read receipt: not an update, not answered")


def auto_reply(mail: ParsedMail, facts: Facts) -> Verdict | None:
    if is_bounce(mail):
        return None  # bounces have a rule of their own
    why = _auto_why(mail)
    if why is None:
        return None
    reason = f"auto-reply ({why})"
    sent = (mail.date or facts.now).date()
    back = return_date(facts.text or mail.text, sent)
    if back and back > facts.today and facts.sender_known and mail.sender_problem is None:
        reason += f": away until {back.isoformat()}; reminders go to the deputy until then"
        return Verdict("ignored", "auto-reply", reason, NoteAway(back))
    if back:
        reason += f": back on {back.isoformat()}, already past or not a known sender (nothing noted)"
    return Verdict("ignored", "auto-reply", reason)


def _auto_why(mail: ParsedMail) -> str | None:
    """Why the message was written by a machine or sent to many, or None (RFC 3834 5, RFC 2369)."""
    auto = next((a for a in auto_submitted(mail.headers) if a != "no"), "")
    precedence = next((p for p in (v.strip().lower() for v in mail.all("precedence"))
                       if p in ("bulk", "junk", "list", "auto_reply")), "")
    if auto:
        return f"Auto-Submitted: {auto}"
    if "x-auto-response-suppress" in mail.headers:
        return "X-Auto-Response-Suppress"
    if precedence:
        return f"Precedence: {precedence}"
    listed = next((h for h in ("list-id", "list-unsubscribe") if h in mail.headers), None)
    if listed:
        return f"list or bulk mail: {'List-Id' if listed == 'list-id' else 'List-Unsubscribe'}"
    if mail.return_path == "":
        return "empty Return-Path"
    if _AUTO_SUBJECT.match(mail.subject):
        return f"subject {mail.subject[:60]!r}"
    if any(h in mail.headers for h in ("x-autoreply", "x-autorespond", "x-auto-reply")):
        return "X-Autoreply"
    return None


def calendar_reply(mail: ParsedMail, facts: Facts) -> Verdict | None:
    """An attendee's answer to an invitation (iMIP REPLY/COUNTER): not an update, never answered."""
    if mail.calendar_method not in ("REPLY", "COUNTER", "DECLINECOUNTER", "REFRESH"):
        return None
    return Verdict("ignored", "calendar-reply", f"calendar reply (METHOD:{mail.calendar_method}): an answer to "
                   "an invitation, not an update")


def unreadable(mail: ParsedMail, facts: Facts) -> Verdict | None:
    """A body cut at the limit or not text at all: what would be recorded is not what was sent."""
    problems = [f for f in mail.flags if f in (CUT_FLAG, BINARY_FLAG) or f.startswith("body could not be read")]
    if not problems or not facts.placement.updates:
        return None
    return Verdict("quarantined", "unreadable", f"the reply cannot be read whole ({problems[0]}); kept for the "
                   "secretary")


def bounce(mail: ParsedMail, facts: Facts) -> Verdict | None:
    if not is_bounce(mail):
        return None
    if not facts.ours:
        return Verdict("ignored", "bounce", "bounce: a delivery report for a message planwarden did not send "
                       "(noted; no address marked)")
    reported = failed_recipients(mail, facts)
    failed = [(a, why) for a, why in reported if a in facts.ours_recipients]
    if not failed:
        if reported:
            return Verdict("ignored", "bounce", f"bounce: names {reported[0][0]}, who was not a recipient of the "
                           "message planwarden sent (noted; no address marked)")
        return Verdict("ignored", "bounce", "bounce: delivery report without a permanent failure")
    who = ", ".join(f"{addr} ({why})" if why else addr for addr, why in failed[:5])
    return Verdict("ignored", "bounce", f"bounce: delivery failed to {who}; address marked failing, "
                   "secretary told", MarkFailing(tuple(failed)))


def failed_recipients(mail: ParsedMail, facts: Facts) -> list[tuple[str, str]]:
    """(address, why) for each permanent failure in a bounce."""
    if mail.delivery_status is not None:
        return [(f.recipient, " ".join(x for x in (f.status, f.diagnostic) if x)[:300])
                for f in mail.delivery_status
                if f.recipient and (f.action == "failed" or f.status.startswith("5"))]
    found = dict.fromkeys(a.lower() for a in re.findall(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", mail.text))
    return [(a, "undeliverable") for a in found if a in facts.people and a not in facts.own_addresses]


def sender_header(mail: ParsedMail, facts: Facts) -> Verdict | None:
    if mail.sender_problem is None:
        return None
    return Verdict("quarantined", "sender-header", mail.sender_problem)


def authentication(mail: ParsedMail, facts: Facts) -> Verdict | None:
    why = auth.problem(facts.auth, mail.sender, required=facts.auth_required)
    return Verdict("quarantined", "authentication", why) if why else None


def sender(mail: ParsedMail, facts: Facts) -> Verdict | None:
    placement = facts.placement
    if not placement.updates:
        if not facts.sender_known:
            return Verdict("quarantined", "sender", f"sender {mail.sender} is not in the directory "
                           "(not an owner or registered deputy)")
        return None  # a known person; the no-action rule says what is missing
    refused = [u.action.ref for u in placement.updates if u.author is None]
    if refused:
        return Verdict("quarantined", "sender", f"sender {mail.sender} is not an owner or registered deputy of "
                       f"{', '.join(refused)}")
    return None


def no_action(mail: ParsedMail, facts: Facts) -> Verdict | None:
    if facts.placement.updates:
        return None
    return Verdict("quarantined", "no-action", facts.placement.problem or "no action found")


def conflicting(mail: ParsedMail, facts: Facts) -> Verdict | None:
    clashes = [f"{u.action.ref} ({', '.join(found)})" for u in facts.placement.updates
               if (found := clash(u.extracted, u.action.plan.rating_scale))]
    if clashes:
        return Verdict("quarantined", "conflicting", "conflicting ratings: " + "; ".join(clashes))
    if facts.html_ratings is not None and facts.html_ratings != frozenset(ratings(facts.text)[0]):
        shown = ", ".join(sorted(facts.html_ratings)) or "none"
        return Verdict("quarantined", "conflicting", "conflicting ratings: the plain-text version of the reply "
                       f"states {', '.join(sorted(set(ratings(facts.text)[0]))) or 'none'}, the HTML version the "
                       f"sender saw states {shown}")
    elsewhere = [f"{u.action.ref} (a rating is written for {', '.join(other)})" for u in facts.placement.updates
                 if (other := [r for r in u.extracted.rated_refs if r != u.action.ref.lower()])]
    if elsewhere:
        return Verdict("quarantined", "conflicting", "conflicting ratings: " + "; ".join(elsewhere)
                       + ", not for the action the reply is placed on")
    return None


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def is_repeat(u: PlacedUpdate, now: dt.datetime) -> bool:
    words = _norm(u.extracted.text)
    return any(now - when <= REPEAT_WINDOW and _norm(text) == words and rag == u.extracted.rag
               for when, text, rag in u.recent)


def repeat(mail: ParsedMail, facts: Facts) -> Verdict | None:
    repeats = [u.action.ref for u in facts.placement.updates if is_repeat(u, facts.now)]
    if repeats and len(repeats) == len(facts.placement.updates):
        return Verdict("ignored", "repeat", f"repeat: the same update for {', '.join(repeats)} was recorded "
                       "from this sender within 14 days")
    return None


def empty(mail: ParsedMail, facts: Facts) -> Verdict | None:
    blank = [u.action.ref for u in facts.placement.updates
             if not u.extracted.text.strip() and not u.extracted.rag and not u.extracted.requested_due]
    if blank:
        reason = f"no update found in the reply for {', '.join(blank)}"
        if any(u.extracted.copied_example for u in facts.placement.updates):
            reason += " (it holds only the reminder's how-to-reply example)"
        return Verdict("quarantined", "empty", reason)
    return None


def apply(mail: ParsedMail, facts: Facts) -> Verdict | None:
    updates = facts.placement.updates
    skip = tuple(u.action.ref for u in updates if is_repeat(u, facts.now))
    notes: list[str] = []
    for u in updates:
        if u.extracted.past_due:
            notes.append(f"{u.action.ref}: the new date you gave ({u.extracted.past_due:%d %B %Y}) has already "
                         "passed, so it was not recorded as a request; please reply with a future date")
    if any(u.extracted.copied_example for u in updates):
        notes.append("Your reply included the example lines from the reminder; they were not recorded.")
    if skip:
        notes.append(f"{', '.join(skip)}: the same update was recorded recently, so it was not recorded again.")
    refs = ", ".join(u.action.ref for u in updates if u.action.ref not in skip)
    return Verdict("applied", "apply", f"applied to {refs}", ApplyUpdates(tuple(notes), skip))


RULES: list[tuple[str, Rule]] = [
    ("duplicate", duplicate),
    ("receipt", receipt),
    ("calendar-reply", calendar_reply),
    ("auto-reply", auto_reply),
    ("bounce", bounce),
    ("sender-header", sender_header),
    ("authentication", authentication),
    ("sender", sender),
    ("unreadable", unreadable),
    ("no-action", no_action),
    ("conflicting", conflicting),
    ("repeat", repeat),
    ("empty", empty),
    ("apply", apply),
]


def decide(mail: ParsedMail, facts: Facts) -> Verdict:
    for _name, rule in RULES:
        verdict = rule(mail, facts)
        if verdict is not None:
            return verdict
    raise AssertionError("the apply rule always decides")  # pragma: no cover


# --------------------------------------------------------------------------- out of office

_BACK = re.compile(r"\b(?:back|return(?:ing|s)?|in the office|be in|available|out of (?:the )?office until|"
                   r"away until|on leave until|absent until|until)\b", re.I)
_DAY_MONTH = re.compile(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
                        r"[a-z]*\.?(?![a-z])(?!\s*,?\s*\d{4})", re.I)


def return_date(text: str, sent: dt.date) -> dt.date | None:
    """The day the sender is back, read against the day the auto-reply was sent (its Date)."""
    for m in _BACK.finditer(text or ""):
        window = text[m.end():m.end() + 80]
        found, _ = find_dates(window)
        dates = [f.date for f in found if f.precision == "date"]
        for m2 in _DAY_MONTH.finditer(window):  # "back on Tuesday 3rd January": the next 3 January
            month = MONTHS[m2.group("m")[:3].lower()]
            for year in (sent.year, sent.year + 1):
                try:
                    candidate = dt.date(year, month, int(m2.group("d")))
                except ValueError:
                    continue
                if candidate > sent:
                    dates.append(candidate)
                    break
        future = sorted(d for d in dates if sent < d <= sent + dt.timedelta(days=366))
        if future:
            return future[0]
    return None
