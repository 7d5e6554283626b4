"""Rules classify with no database: each tested on a parsed message and hand-built facts."""

from __future__ import annotations

import datetime as dt

import pytest

from planwarden.plan.models import Action, Plan
from planwarden.replies import auth, rules
from planwarden.replies.extract import Extracted
from planwarden.replies.facts import Facts
from planwarden.replies.message import parse
from planwarden.replies.placing import Placement, PlacedUpdate
from planwarden.replies.verdicts import ApplyUpdates, NoteAway

NOW = dt.datetime(2022, 12, 14, 9, 0, tzinfo=dt.timezone.utc)


def mail(from_: str = "Claire Littlewood <claire.littlewood@example.org>", extra: str = "", body: str = "RAG: Green",
         ctype: str = "text/plain") -> object:
    return parse((f"From: {from_}\r\nMessage-ID: <m@x>\r\nDate: Wed, 14 Dec 2022 08:00:00 +0000\r\n{extra}"
                  f"Content-Type: {ctype}\r\n\r\n{body}\r\n").encode())


def placed(ref: str = "1.1a", rag: str | None = "green", author: str | None = "Claire Littlewood",
           text: str = "Done", **kw: object) -> PlacedUpdate:
    action = Action(id=1, ref=ref, plan=Plan(key="jtai", timezone="Europe/London"))
    return PlacedUpdate(action, "jtai", Extracted(ref, text, rag, None, **kw), author)  # type: ignore[arg-type]


def facts(*updates: PlacedUpdate, **kw: object) -> Facts:
    return Facts(now=NOW, today=NOW.date(), sender_known=True, placement=Placement(updates=list(updates)),
                 **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("from_, reason", [
    ('"claire.littlewood@example.org" <x@evil.example>', "display name shows claire.littlewood@example.org"),
    ("=?utf-8?q?claire=2Elittlewood=40example=2Eorg?= <x@evil.example>", "display name shows"),
    ("a@evil.example, claire.littlewood@example.org", "several mailboxes"),
    ("claire.littlewood@example.org <x@evil.example>", "cannot be read strictly"),
])
def test_sender_header_rule_quarantines_ambiguous_from(from_: str, reason: str) -> None:
    verdict = rules.decide(mail(from_), facts(placed()))  # type: ignore[arg-type]
    assert verdict.outcome == "quarantined" and verdict.rule == "sender-header" and reason in verdict.reason


def test_sender_header_differs() -> None:
    verdict = rules.decide(mail(extra="Sender: x@evil.example\r\n"), facts(placed()))  # type: ignore[arg-type]
    assert verdict.rule == "sender-header" and "Sender" in verdict.reason


def test_only_our_authserv_id_counts() -> None:
    ours = "Authentication-Results: mx.example.org; dmarc=fail header.from=example.org\r\n"
    theirs = "Authentication-Results: mx.evil.example; dmarc=pass header.from=example.org\r\n"
    m = mail(extra=theirs + ours)
    verdict = auth.read(m.all("authentication-results"), ["mx.example.org"])  # type: ignore[attr-defined]
    assert verdict.trusted and verdict.dmarc == "fail"
    assert not auth.read(m.all("authentication-results"), []).trusted  # type: ignore[attr-defined]
    assert rules.decide(m, facts(placed(), auth=verdict)).rule == "authentication"  # type: ignore[arg-type]
    required = rules.decide(m, facts(placed(), auth=auth.AuthVerdict(False), auth_required=True))  # type: ignore[arg-type]
    assert required.rule == "authentication" and "not authenticated" in required.reason


def test_exchange_online_header_without_authserv_id() -> None:
    value = ("spf=pass (sender IP is 1.2.3.4) smtp.mailfrom=example.org; dkim=pass (signature was verified) "
             "header.d=example.org;dmarc=pass action=none header.from=example.org;compauth=pass reason=100")
    verdict = auth.read([value, "mx.evil.example; dmarc=fail"], ["exchange-online"])
    assert verdict.passed_for("claire.littlewood@example.org")
    assert not auth.read(["mx.evil.example; dmarc=pass header.from=example.org", value], ["exchange-online"]).trusted
    opendmarc = auth.read(["mx.example.org/4A1B2C; dmarc=pass (p=reject) header.from=example.org"], ["mx.example.org"])
    assert opendmarc.passed_for("claire.littlewood@example.org")


def test_conflicting_repeat_and_apply_notes() -> None:
    assert rules.decide(mail(), facts(placed(rag=None, conflicting=["amber", "red"]))).rule == "conflicting"  # type: ignore[arg-type]
    repeat = placed()
    repeat.recent.append((NOW - dt.timedelta(days=3), "Done.", "green"))
    assert rules.decide(mail(), facts(repeat)).rule == "repeat"  # type: ignore[arg-type]
    stale = placed()
    stale.recent.append((NOW - dt.timedelta(days=15), "Done", "green"))
    verdict = rules.decide(mail(), facts(stale))  # type: ignore[arg-type]
    assert verdict.rule == "apply" and verdict.effect == ApplyUpdates((), ())
    past = rules.decide(mail(), facts(placed(past_due=dt.date(2022, 11, 30))))  # type: ignore[arg-type]
    assert "already passed" in past.effect.notes[0]  # type: ignore[union-attr]


def test_out_of_office_read_against_its_own_date() -> None:
    ooo = "Auto-Submitted: auto-replied\r\n"
    back = rules.decide(mail(extra=ooo, body="Away until Thursday 5 January 2023."), facts())  # type: ignore[arg-type]
    assert back.effect == NoteAway(dt.date(2023, 1, 5))
    old = mail(extra=ooo, body="I will be back on 5th January.")
    old.date = dt.datetime(2022, 1, 3, tzinfo=dt.timezone.utc)  # type: ignore[attr-defined]
    assert rules.decide(old, facts()).effect is None  # type: ignore[arg-type]


def test_receipts_and_foreign_bounces_are_ignored_without_effect() -> None:
    mdn = mail(ctype='multipart/report; report-type=disposition-notification; boundary="b"',
               body="--b\r\nContent-Type: message/disposition-notification\r\n\r\nDisposition: displayed\r\n--b--")
    assert rules.decide(mdn, facts(placed())).rule == "receipt"  # type: ignore[arg-type]
    bounce = mail("MAILER-DAEMON <mailer-daemon@mx.example.org>", extra="Subject: Undeliverable\r\n",
                  body="could not be delivered to james.adams@example.org")
    verdict = rules.decide(bounce, facts(people=frozenset({"james.adams@example.org"})))  # type: ignore[arg-type]
    assert verdict.rule == "bounce" and verdict.effect is None and "did not send" in verdict.reason
