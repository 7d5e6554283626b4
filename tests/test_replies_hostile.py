"""Hostile mail, replayed as an attacker (or a careless owner) would send it.

Every message is built here as raw bytes, the way it arrives at the plan mailbox, and
goes through the real ingest path (``ingest_raw``, the ``planwarden ingest`` and
``collect`` commands). What is checked is what a user would notice: an action's rating
and updates changed or not, the quarantine entry with its reason and the original bytes,
the outbox (no confirmation to robots, lists or forgers), and how mail-borne text shows
in the console, the confirmation email, the board pack and the exported spreadsheet.

The other replies tests cover the plainer forgeries (display names, two mailboxes,
Sender, foreign Authentication-Results) and the everyday clients; this file adds what
they do not: header folding and group syntax, homoglyph and punycode domains, quoted
and commented results in our own server's header, hidden HTML, attachments that carry
ratings, ratings written for another action or in the past tense, broken structure,
calendar replies, list mail, forged bounces, replays and escaping everywhere.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import io
import itertools
import json
import re
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from planwarden.plan.models import Action, Person, ProgressUpdate
from planwarden.replies.models import InboundMessage
from replies_seed import ACTIONS
from replies_support import Env, make_env

SEEDED = {ref: rag for ref, _text, _owners, rag, _due in ACTIONS}
CLAIRE = "claire.littlewood@example.org"
REMINDER_11A = "<reminder-claire-11a@jtai-plan.example.org>"
REMINDER_DIGEST = "<reminder-claire-digest@jtai-plan.example.org>"
REMINDER_21D = "<reminder-james-21d@jtai-plan.example.org>"
_ids = itertools.count(1)


def mail(body: str | bytes, *, from_: str = f"Claire Littlewood <{CLAIRE}>", subject: str = "RE: Reminder",
         in_reply_to: str | None = REMINDER_11A, extra: str = "",
         ctype: str = 'text/plain; charset="utf-8"', cte: str | None = None, message_id: str | None = None) -> bytes:
    """One message as it crosses the wire: headers exactly as written, CRLF, no library tidying."""
    head = [f"From: {from_}", "To: jtai-plan@example.org", f"Subject: {subject}",
            "Date: Wed, 14 Dec 2022 08:00:00 +0000", "MIME-Version: 1.0"]
    if message_id != "":
        head.append(f"Message-ID: {message_id or f'<hostile-{next(_ids)}@example.org>'}")
    if in_reply_to:
        head.append(f"In-Reply-To: {in_reply_to}")
    head.append(f"Content-Type: {ctype}")
    if cte:
        head.append(f"Content-Transfer-Encoding: {cte}")
    data = body if isinstance(body, bytes) else body.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
    return ("\r\n".join(head) + "\r\n" + extra).encode("utf-8") + b"\r\n" + data + b"\r\n"


def mp(kind: str, *parts: str, params: str = "", **headers: str | None) -> bytes:
    """A multipart message of the given raw parts (each "headers\r\n\r\nbody"), as ``mail`` writes it."""
    body = "".join(f"--b0\r\n{p}\r\n" for p in parts) + "--b0--\r\n"
    return mail(body, ctype=f'multipart/{kind}; boundary="b0"{params}', **headers)  # type: ignore[arg-type]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, sqlite_url: str, clock: object) -> Env:
    from conftest import EXAMPLE

    monkeypatch.setenv("PLANWARDEN_CONFIG", str(EXAMPLE / "planwarden.toml"))
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    return make_env()


def ratings(env: Env) -> dict[str, str | None]:
    with env.sessions() as s:
        return {a.ref: a.rag for a in s.scalars(select(Action))}


def update_count(env: Env) -> int:
    with env.sessions() as s:
        return s.scalar(select(func.count()).select_from(ProgressUpdate)) or 0


def stored(env: Env, inbound_id: int | None) -> InboundMessage:
    with env.sessions() as s:
        row = s.get(InboundMessage, inbound_id)
        assert row is not None
        s.expunge(row)
        return row


def outbox(env: Env) -> list[str]:
    return [o.kind for o in [*env.outbox("confirmation"), *env.outbox("notice")]]


@dataclass(frozen=True)
class Case:
    id: str
    raw: bytes
    outcome: str
    rule: str
    reason: str = ""  # a part of the reason the secretary (or the log) reads
    changed: tuple[tuple[str, str], ...] = ()  # (ref, rating) that must differ from the seeded plan afterwards


def _hidden(style_or_attr: str) -> bytes:
    return mail(f"<p>Training is under way.</p><div {style_or_attr}>RAG: Red</div>", ctype="text/html; charset=utf-8")


_RFC822 = "Content-Type: message/rfc822\r\n\r\nFrom: simon.whittaker@example.org\r\nSubject: notes\r\n\r\nRAG: Red\r\n"
_TXT_ATTACHED = ('Content-Type: text/plain; name="notes.txt"\r\nContent-Disposition: attachment; filename="notes.txt"'
                 "\r\n\r\nRAG: Red\r\n")
_TXT_INLINE = ('Content-Type: text/plain; name="notes.txt"\r\nContent-Disposition: inline; filename="notes.txt"'
               "\r\n\r\nRAG: Red\r\n")
_PLAIN = "Content-Type: text/plain; charset=utf-8\r\n\r\nTraining is under way.\r\n"
_ICS = ("BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nPRODID:Microsoft Exchange Server 2010\r\nBEGIN:VEVENT\r\n"
        f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{CLAIRE}\r\nSUMMARY:Accepted: JTAI Improvement Board 2.1c green\r\n"
        "DESCRIPTION:RAG: Green\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def _nested(depth: int) -> bytes:
    body, ctype = "Training is under way.\r\nRAG: Red\r\n", "text/plain"
    for i in range(depth):
        body = f"--n{i}\r\nContent-Type: {ctype}\r\n\r\n{body}\r\n--n{i}--\r\n"
        ctype = f'multipart/mixed; boundary="n{i}"'
    return mail(body, ctype=ctype)


def _cases() -> list[Case]:
    cases: list[Case] = []
    add = cases.append
    rag_red = "Training is under way.\nRAG: Red"
    # ------------------------------------------------------------------ who sent it
    add(Case("from-group-syntax", mail(rag_red, from_=f"Owners: {CLAIRE};"), "quarantined", "sender-header",
             "cannot be read strictly"))
    add(Case("from-empty-group-then-owner", mail(rag_red, from_=f"undisclosed-recipients:;, {CLAIRE}"),
             "quarantined", "sender-header"))
    add(Case("from-comment-shows-owner", mail(rag_red, from_=f"x@evil.example ({CLAIRE})"), "quarantined",
             "sender-header", f"display name shows {CLAIRE}"))
    add(Case("from-quoted-local-part-is-the-owner", mail(rag_red, from_='"claire.littlewood"@example.org'),
             "applied", "apply", changed=(("1.1a", "red"),)))
    add(Case("from-owner-address-as-quoted-local-part", mail(rag_red, from_=f'"{CLAIRE}"@evil.example'),
             "quarantined", "sender-header"))
    add(Case("from-cyrillic-a-in-domain", mail(rag_red, from_="Claire Littlewood <claire.littlewood@ex\u0430mple.org>"),
             "quarantined", "sender-header"))
    add(Case("from-cyrillic-a-in-local-part", mail(rag_red, from_="cl\u0430ire.littlewood@example.org"),
             "quarantined", "sender-header"))
    add(Case("from-punycode-lookalike", mail(rag_red, from_="claire.littlewood@xn--exmple-cua.org"), "quarantined",
             "sender", "not an owner or registered deputy"))
    add(Case("from-upper-case-domain", mail(rag_red, from_="Claire Littlewood <claire.littlewood@EXAMPLE.ORG>"),
             "applied", "apply", changed=(("1.1a", "red"),)))
    add(Case("from-trailing-dot-domain", mail(rag_red, from_="claire.littlewood@example.org."), "quarantined",
             "sender-header"))
    add(Case("from-fullwidth-at-in-encoded-name",
             mail(rag_red, from_="=?utf-8?q?claire.littlewood=EF=BC=A0example.org?= <x@evil.example>"),
             "quarantined", "sender", "x@evil.example is not an owner"))
    add(Case("from-folded-long-display-name",  # Outlook folds a long From before the <address>
             mail(rag_red, from_=f'"Littlewood, Claire (Detective Chief Inspector, Cheshire Constabulary)"\r\n\t<{CLAIRE}>'),
             "applied", "apply", changed=(("1.1a", "red"),)))
    add(Case("two-sender-headers", mail(rag_red, extra=f"Sender: {CLAIRE}\r\nSender: x@evil.example\r\n"),
             "quarantined", "sender-header", "2 Sender headers"))
    add(Case("resent-from-owner-but-from-attacker",
             mail(rag_red, from_="x@evil.example", extra=f"Resent-From: {CLAIRE}\r\nReply-To: {CLAIRE}\r\n"),
             "quarantined", "sender", "x@evil.example is not an owner"))
    add(Case("owners-words-forwarded-by-someone-else",
             mail("FYI - Claire asked me to pass this on.\n\n---------- Forwarded message ---------\nFrom: Claire "
                  f"Littlewood <{CLAIRE}>\nDate: Tue, 13 Dec 2022\n\nRAG: Green\n",
                  from_="Amanda Booth <amanda.booth@example.org>", subject="FW: [planwarden jtai 1.1a] Reminder"),
             "quarantined", "sender", "amanda.booth@example.org is not an owner"))
    # ------------------------------------------------------------------ Authentication-Results
    ours_fail = "Authentication-Results: mx.example.org; dmarc=fail (p=reject) header.from=example.org\r\n"
    add(Case("auth-forged-pass-with-our-id-below-ours",
             mail(rag_red, extra=ours_fail + "Authentication-Results: mx.example.org; dmarc=pass header.from=example.org\r\n"),
             "quarantined", "authentication", "dmarc=fail"))
    add(Case("auth-quoted-mailfrom-smuggles-a-pass",
             mail(rag_red, extra='Authentication-Results: mx.example.org; spf=pass smtp.mailfrom="a;dmarc=pass '
                                 'header.from=example.org"@evil.example; dmarc=fail header.from=example.org\r\n'),
             "quarantined", "authentication", "dmarc=fail"))
    add(Case("auth-nested-comment-smuggles-a-pass",
             mail(rag_red, extra="Authentication-Results: mx.example.org; spf=pass (a (b); dmarc=pass "
                                 "header.from=example.org) smtp.mailfrom=evil.example; dmarc=fail header.from=example.org\r\n"),
             "quarantined", "authentication", "dmarc=fail"))
    add(Case("auth-arc-claims-pass-ours-fails",
             mail(rag_red, extra=ours_fail + "ARC-Authentication-Results: i=1; mx.example.org; dmarc=pass "
                                             "header.from=example.org\r\n"),
             "quarantined", "authentication", "dmarc=fail"))
    add(Case("auth-mixed-case-folded",
             mail(rag_red, extra="AUTHENTICATION-RESULTS: MX.Example.ORG;\r\n\tDMARC=Fail\r\n\theader.from=Example.ORG\r\n"),
             "quarantined", "authentication", "dmarc=fail"))
    add(Case("auth-pass-for-a-subdomain",
             mail(rag_red, extra="Authentication-Results: mx.example.org; dmarc=pass header.from=mail.example.org\r\n"),
             "quarantined", "authentication", "mail.example.org, not the sender's domain"))
    add(Case("auth-empty-header-from-a-real-owner",  # used to fail the code: "could not be processed"
             mail(rag_red, extra="Authentication-Results: ;\r\n"), "applied", "apply", changed=(("1.1a", "red"),)))
    # ------------------------------------------------------------------ what counts as a rating
    unchanged = "applied"
    for cid, body in [("not-red", "Not red. The audit is on track."),
                      ("was-red-now-green-question", "was red now green?"),
                      ("rating-only-in-quote", "Training is under way.\n\n> RAG: Green\n> Due: 31 January 2023"),
                      ("rating-in-signature", "Training is under way.\n\n-- \nClaire Littlewood\nRAG: Green"),
                      ("cyrillic-e-in-green", "Training is under way.\nRAG: Gr\u0435en"),
                      ("rtl-override-shows-green", "Training is under way.\nRAG: \u202eneerG"),
                      ("past-label", "Previously RAG: Red, now improving."),
                      ("hoped-for-label", "Training is under way. RAG: Green by March."),
                      ("hedged-label", "Training is under way.\nRAG: Green (not yet)")]:
        add(Case(f"no-rating-{cid}", mail(body), unchanged, "apply"))
    for cid, raw in [("html-blockquote", mail("<p>Training is under way.</p><blockquote>RAG: Red</blockquote>",
                                              ctype="text/html; charset=utf-8")),
                     ("html-display-none", _hidden('style="display:none"')),
                     ("html-display-none-important", _hidden('style="color:#000; display: none !important"')),
                     ("html-hidden-attribute", _hidden("hidden")),
                     ("html-mso-hide", _hidden('style="mso-hide:all"')),
                     ("html-font-size-0", _hidden('style="font-size:0px"')),
                     ("html-hidden-by-a-style-block", mail(
                         "<html><head><style>/* preheader */ .pre, #x { display: none; }</style></head><body>"
                         '<p>Training is under way.</p><div class="note pre">RAG: Red</div></body></html>',
                         ctype="text/html; charset=utf-8")),
                     ("html-css-comment-in-style", _hidden('style="color:#000; /* tidy */ display:none"')),
                     ("html-comment", mail("<p>Training is under way.</p><!-- RAG: Red -->", ctype="text/html")),
                     ("subject-only", mail("Training is under way.", subject="RE: Reminder RAG: Red")),
                     ("forwarded-rfc822-attachment", mp("mixed", _PLAIN, _RFC822)),
                     ("attached-txt", mp("mixed", _PLAIN, _TXT_ATTACHED)),
                     ("apple-mail-inline-txt", mp("mixed", _PLAIN, _TXT_INLINE))]:
        add(Case(f"no-rating-{cid}", raw, unchanged, "apply"))
    add(Case("one-dot-leader-ref-in-digest", mail("2\u20241c GREEN \u2013 all delivered.", in_reply_to=REMINDER_DIGEST),
             "quarantined", "no-action", "does not say which one"))
    add(Case("two-refs-two-ratings", mail("2.1c GREEN - all delivered.\n\n3.4a RED - minutes missing.",
                                          in_reply_to=REMINDER_DIGEST),
             "applied", "apply", changed=(("2.1c", "green"), ("3.4a", "red"))))
    add(Case("plain-version-rates-html-version-does-not", mp(
        "alternative", "Content-Type: text/plain; charset=utf-8\r\n\r\nTraining is under way.\r\nRAG: Red\r\n",
        "Content-Type: text/html; charset=utf-8\r\n\r\n<p>Training is under way.</p>"
        '<p style="display:none">RAG: Red</p>\r\n'), "quarantined", "conflicting", "the HTML version the sender saw"))
    add(Case("html-version-rates-plain-version-does-not", mp(
        "alternative", "Content-Type: text/plain; charset=utf-8\r\n\r\nTraining is under way.\r\n",
        "Content-Type: text/html; charset=utf-8\r\n\r\n<p>Training is under way.</p><p>RAG: Green</p>\r\n"),
        "quarantined", "conflicting", "states green"))
    add(Case("plain-and-html-agree", mp(
        "alternative", "Content-Type: text/plain; charset=utf-8\r\n\r\nTraining is under way.\r\n\r\n*Green*\r\n",
        "Content-Type: text/html; charset=utf-8\r\n\r\n<p>Training is under way.</p><p><b>Green</b></p>\r\n"),
        "applied", "apply", changed=(("1.1a", "green"),)))
    add(Case("reply-to-a-rates-b", mail("Update on 2.1c: green, all delivered."), "quarantined", "conflicting",
             "a rating is written for 2.1c"))
    add(Case("reply-to-a-names-someone-elses-b", mail("2.1d GREEN - the interviews have started."),
             "quarantined", "sender", "not an owner or registered deputy of 2.1d"))
    add(Case("from-address-with-comment-is-the-owner", mail(rag_red, from_=f"{CLAIRE}(Claire Littlewood)"),
             "applied", "apply", changed=(("1.1a", "red"),)))
    add(Case("other-owner-answers-my-reminder",
             mail("RAG: Green", from_="James Adams <james.adams@example.org>"), "quarantined", "sender",
             "james.adams@example.org is not an owner"))
    # ------------------------------------------------------------------ placing (the reminder's Message-ID is the token)
    add(Case("tampered-reminder-id", mail("RAG: Green", in_reply_to="<reminder-claire-11b@jtai-plan.example.org>"),
             "quarantined", "no-action", "no reminder Message-ID, subject tag or ref"))
    add(Case("truncated-reminder-id", mail("RAG: Green", in_reply_to="<reminder-claire-11a@jtai-plan"),
             "quarantined", "no-action"))
    add(Case("subject-tag-for-another-action",  # the In-Reply-To wins over a tag someone edited
             mail("RAG: Green", subject="RE: [planwarden jtai 2.1d] Reminder"), "applied", "apply",
             changed=(("1.1a", "green"),)))
    add(Case("subject-tag-for-an-unknown-plan", mail("RAG: Green", in_reply_to=None,
                                                     subject="RE: [planwarden evil 1.1a] Reminder"),
             "quarantined", "no-action", "plan 'evil'"))
    # ------------------------------------------------------------------ structure
    add(Case("nested-50-deep", _nested(50), "quarantined", "unreadable", "nested over 20 deep"))
    add(Case("missing-boundary", mail("--x\r\nContent-Type: text/plain\r\n\r\nRAG: Red\r\n--x--",
                                      ctype="multipart/mixed"), "quarantined", "empty"))
    add(Case("five-megabytes", mail("Training is under way.\nRAG: Red\n" + "lorem ipsum dolor " * 300_000),
             "quarantined", "unreadable", "body longer than the limit"))
    add(Case("binary-junk", mail(bytes(range(256)) * 40, ctype="text/plain"), "quarantined", "unreadable",
             "not text"))
    add(Case("latin-1-declared-utf-8", mail("Funding of \xa312,000 agreed for the caf\xe9.\nRAG: Red".encode("latin-1")),
             "applied", "apply", changed=(("1.1a", "red"),)))
    add(Case("utf-7", mail(b"Funding of +AKM-12,000 agreed.\r\nRAG: Red", ctype="text/plain; charset=utf-7"),
             "applied", "apply", changed=(("1.1a", "red"),)))
    add(Case("unknown-charset", mail(rag_red, ctype="text/plain; charset=x-unknown-klingon"), "applied", "apply",
             changed=(("1.1a", "red"),)))
    add(Case("base64-bad-padding", mail(base64.b64encode(rag_red.encode()).rstrip(b"="), cte="base64"),
             "applied", "apply", changed=(("1.1a", "red"),)))
    add(Case("tnef-winmail-dat", mp(
        "mixed", _PLAIN, 'Content-Type: application/ms-tnef; name="winmail.dat"\r\nContent-Transfer-Encoding: '
                         'base64\r\n\r\neJ8+IhABBpAIAAQAAAAAAAEAAQABB5AGAAgAAADkBAAAAAAAAOgA\r\n'), "applied", "apply"))
    add(Case("smime-signed", mp(
        "signed", "Content-Type: text/plain\r\n\r\nTraining is under way.\r\nRAG: Green\r\n",
        "Content-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\nMIIB\r\n",
        params='; protocol="application/pkcs7-signature"; micalg=sha-256'), "applied", "apply",
        changed=(("1.1a", "green"),)))
    # ------------------------------------------------------------------ robots, lists, bounces
    add(Case("calendar-accept-outlook", mp(
        "alternative", "Content-Type: text/plain\r\n\r\nAccepted: JTAI Improvement Board\r\n",
        "Content-Type: text/calendar; method=REPLY; charset=utf-8\r\n\r\n" + _ICS,
        subject="Accepted: JTAI Improvement Board"), "ignored", "calendar-reply", "METHOD:REPLY"))
    add(Case("calendar-reply-only", mail(_ICS, ctype="text/calendar; charset=utf-8", in_reply_to=None,
                                         subject="Accepted: JTAI Improvement Board"),
             "ignored", "calendar-reply"))
    add(Case("auto-submitted-second-header", mail(rag_red, extra="Auto-Submitted: no\r\nAuto-Submitted: auto-replied\r\n"),
             "ignored", "auto-reply", "Auto-Submitted: auto-replied"))
    add(Case("x-autoreply", mail(rag_red, extra="X-Autoreply: yes\r\n"), "ignored", "auto-reply"))
    add(Case("precedence-bulk", mail(rag_red, extra="Precedence: bulk\r\n"), "ignored", "auto-reply"))
    add(Case("list-id", mail(rag_red, extra="List-Id: <jtai-owners.lists.example.org>\r\n"), "ignored",
             "auto-reply", "List-Id"))
    add(Case("exchange-automatic-reply-subject-only",
             mail("I am out of the office with limited access to email.", subject="Automatic reply: RE: Reminder"),
             "ignored", "auto-reply"))
    add(Case("dsn-for-a-message-never-sent", mp(
        "report", "Content-Type: text/plain\r\n\r\nDelivery has failed.\r\n",
        "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.evil.example\r\n\r\n"
        f"Final-Recipient: rfc822; {CLAIRE}\r\nAction: failed\r\nStatus: 5.1.1\r\n",
        "Content-Type: text/rfc822-headers\r\n\r\nMessage-ID: <never-sent@evil.example>\r\n",
        params="; report-type=delivery-status", from_="MAILER-DAEMON@evil.example", subject="Undeliverable",
        in_reply_to=None), "ignored", "bounce", "did not send"))
    add(Case("dsn-names-someone-the-reminder-never-went-to", mp(
        "report", "Content-Type: text/plain\r\n\r\nDelivery has failed.\r\n",
        "Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.evil.example\r\n\r\n"
        f"Final-Recipient: rfc822; {CLAIRE}\r\nAction: failed\r\nStatus: 5.1.1\r\n",
        params="; report-type=delivery-status", from_="MAILER-DAEMON@evil.example", subject="Undeliverable",
        in_reply_to=REMINDER_21D), "ignored", "bounce", "was not a recipient"))
    add(Case("text-bounce-names-someone-the-reminder-never-went-to",
             mail(f"Your message to {CLAIRE} could not be delivered.\nOriginal message: {REMINDER_21D}",
                  from_="Mail Delivery Subsystem <mailer-daemon@evil.example>", subject="Undeliverable: Reminder",
                  in_reply_to=REMINDER_21D), "ignored", "bounce", "was not a recipient"))
    return cases


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_case(env: Env, case: Case) -> None:
    """Outcome and rule as a careful secretary expects; no rating moves except the ones named."""
    result = env.ingest(case.raw, "hostile")
    assert (result.outcome, result.rule) == (case.outcome, case.rule), result.reason
    assert case.reason in result.reason
    assert ratings(env) == {**SEEDED, **dict(case.changed)}
    row = stored(env, result.inbound_id)
    assert row.raw == case.raw  # nothing from mail is lost: the original bytes are kept whatever happened
    if result.outcome != "applied":
        assert update_count(env) == 0 and "confirmation" not in outbox(env)
    if result.outcome == "quarantined":
        assert result.settle_as == "quarantine" and row.resolved_at is None


def test_the_corpus_covers_every_outcome_and_the_new_rules() -> None:
    assert len(CASES) >= 60
    assert {c.outcome for c in CASES} == {"applied", "ignored", "quarantined"}
    assert {"calendar-reply", "unreadable", "conflicting", "sender-header", "authentication"} <= {c.rule for c in CASES}


def test_no_rating_cases_still_record_the_owners_words(env: Env) -> None:
    """A reply whose rating does not count is still the owner's update: the words are kept, the RAG is not."""
    result = env.ingest(mail("Training is under way.\nRAG: \u202eneerG"))
    assert result.outcome == "applied" and result.updates[0]["rag"] is None
    assert result.updates[0]["text"] == "Training is under way.\nRAG: neerG"  # no bidi override left to mislead
    [conf] = env.outbox("confirmation")
    assert "unchanged" in email.message_from_bytes(conf.raw, policy=email.policy.default).get_body(("plain",)).get_content()


def test_hidden_html_is_not_in_the_update_or_the_quarantine_text(env: Env) -> None:
    result = env.ingest(_hidden('style="display:none"'))
    assert result.updates[0]["text"] == "Training is under way."
    assert "RAG: Red" not in env.updates("1.1a")[0].text


def test_the_attached_notes_are_kept_as_evidence(env: Env) -> None:
    raw = mp("mixed", _PLAIN, _TXT_INLINE)
    result = env.ingest(raw)
    assert result.updates[0]["text"] == "Training is under way."
    row = stored(env, result.inbound_id)
    with env.sessions() as s:
        [att] = s.get(InboundMessage, row.id).attachments  # type: ignore[union-attr]
        assert (att.filename, att.content) == ("notes.txt", b"RAG: Red\r\n")


def test_withdrawn_action_reply_is_quarantined(env: Env) -> None:
    """A reply to a reminder about an action deleted since: kept for the secretary, nothing changes."""
    with env.sessions.begin() as s:
        s.get(Action, env.ids["1.1a"]).deleted_at = dt.datetime(2022, 12, 13, tzinfo=dt.timezone.utc)  # type: ignore[union-attr]
    result = env.ingest(mail("RAG: Green"))
    assert (result.outcome, result.rule) == ("quarantined", "no-action")
    assert "deleted since the reminder was sent" in result.reason and update_count(env) == 0


def test_an_old_reminder_answered_after_the_action_changed_hands(env: Env) -> None:
    """The reminder's Message-ID never expires, but only the action's current owners may use it."""
    from planwarden.plan.directory import Directory
    from planwarden.plan.models import ActionOwner
    from planwarden.plan.store import sync_person

    with env.sessions.begin() as s:
        action = s.get(Action, env.ids["1.1a"])
        assert action is not None
        action.owners.clear()
        james = sync_person(s, Directory(env.config.directory).person("james.adams"))  # type: ignore[arg-type]
        action.owners.append(ActionOwner(person_id=james.id, via="James Adams", kind="person", position=0))
    result = env.ingest(mail("Training is under way.\nRAG: Green"))
    assert (result.outcome, result.rule) == ("quarantined", "sender") and CLAIRE in result.reason
    assert env.action("1.1a").rag == "amber" and update_count(env) == 0


def test_replayed_message_applies_once(env: Env) -> None:
    """The same reply delivered again (with or without a Message-ID) is recorded once, answered once."""
    with_id = mail("Training is under way.\nRAG: Green", message_id="<replayed@example.org>")
    without_id = mail("Audit programme agreed.\nRAG: Red", message_id="", in_reply_to=REMINDER_11A)
    assert env.ingest(with_id).outcome == "applied"
    again = env.ingest(with_id)
    assert (again.outcome, again.rule) == ("ignored", "duplicate")
    changed = with_id.replace(b"RAG: Green", b"RAG: Red")  # same Message-ID, other words: the first stands
    assert env.ingest(changed).rule == "duplicate" and env.action("1.1a").rag == "green"
    assert env.ingest(without_id).outcome == "applied" and env.ingest(without_id).rule == "duplicate"
    assert len(env.updates("1.1a")) == 2 and len(env.outbox("confirmation")) == 2


@pytest.mark.parametrize("body", ["Training is under way." + " " * 150_000 + "Done.\nRAG: Green",
                                  "Training is under way.\n" + " " * 40_000 + "\nRAG: Green"],
                         ids=["run-inside-a-line", "line-of-spaces"])
def test_a_run_of_spaces_cannot_stall_collection(env: Env, body: str) -> None:
    """A 40-150 KB reply of spaces once took one to two minutes (regexes backtracking); the
    mailbox waits for each message, so it must be read, recorded and answered in seconds."""
    started = time.monotonic()
    result = env.ingest(mail(body))
    assert time.monotonic() - started < 15
    assert result.outcome == "applied" and env.action("1.1a").rag == "green" and len(env.outbox("confirmation")) == 1


def test_forged_bounce_marks_nobody_and_tells_nobody(env: Env) -> None:
    for case in CASES:
        if case.rule == "bounce":
            env.ingest(case.raw)
    with env.sessions() as s:
        assert [p.email for p in s.scalars(select(Person)) if p.failing_since is not None] == []
    assert outbox(env) == []


def test_robots_and_lists_are_never_answered(env: Env) -> None:
    for case in CASES:
        if case.rule in ("auto-reply", "calendar-reply", "bounce"):
            env.ingest(case.raw)
    assert outbox(env) == [] and update_count(env) == 0 and ratings(env) == SEEDED


def test_quarantine_list_shows_each_held_reply_with_its_reason(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    from planwarden.cli import main

    held = [c for c in CASES if c.outcome == "quarantined"][:12]
    for case in held:
        env.ingest(case.raw)
    assert main(["quarantine", "--json"]) == 0
    waiting = json.loads(capsys.readouterr().out)
    assert [w["reason"] for w in waiting] == [stored(env, w["id"]).reason for w in waiting]
    assert len(waiting) == len(held) and all(w["reason"] for w in waiting)
    assert [stored(env, w["id"]).raw for w in waiting] == [c.raw for c in held]


def test_every_case_through_the_ingest_command_without_a_traceback(env: Env, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """`planwarden ingest` on the whole corpus at once: one result per file, no traceback anywhere."""
    from planwarden.cli import main

    files = []
    for case in CASES:
        path = tmp_path / f"{case.id}.eml"
        path.write_bytes(case.raw)
        files.append(str(path))
    assert main(["ingest", *files, "--json"]) == 0
    out = capsys.readouterr()
    results = json.loads(out.out)
    assert len(results) == len(CASES)
    for case, result in zip(CASES, results, strict=True):  # one database: an earlier case's words make a repeat
        repeat = result["outcome"] == "ignored" and result["reason"].startswith("repeat")
        assert result["outcome"] == case.outcome or (case.outcome == "applied" and repeat), (case.id, result)
    assert "Traceback" not in out.err and all("could not be processed" not in r["reason"] for r in results)


def test_collect_settles_quarantined_ones_apart(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    """The collect path: each message moved to processed/ or quarantine/ once recorded."""
    from planwarden.cli import main

    picked = [c for c in CASES if c.id in ("from-group-syntax", "list-id", "calendar-reply-only", "binary-junk",
                                           "from-folded-long-display-name")]
    inbox = env.config.mail_dir("inbox")
    inbox.mkdir(parents=True, exist_ok=True)
    for case in picked:
        (inbox / f"{case.id}.eml").write_bytes(case.raw)
    assert main(["collect", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert sorted(r["outcome"] for r in got) == sorted(c.outcome for c in picked)
    moved = {p.name for p in (inbox / "quarantine").glob("*.eml")} if (inbox / "quarantine").exists() else set()
    assert moved == {f"{c.id}.eml" for c in picked if c.outcome == "quarantined"}
    assert (inbox / "quarantine" / "binary-junk.eml").read_bytes() == next(c.raw for c in picked if c.id == "binary-junk")


# ---------------------------------------------------------------------- escaping wherever it is shown

PAYLOAD = ("<script>alert('x')</script> {{ 7*7 }} [click](http://evil.example/md) <img src=x onerror=alert(1)>\n"
           '=HYPERLINK("http://evil.example/xl","click")\n+cmd|\' /C calc\'!A0\n@SUM(1+1)\n'
           "Bell\x07 and escape\x1b[31m codes")
EVIL_NAME = '=?utf-8?q?=3Cscript=3Ealert=281=29=3C/script=3E_=3DHYPERLINK=28=22x=22=29?='


def _payload_reply() -> bytes:
    return mail(PAYLOAD + "\nRAG: Green", from_=f"{EVIL_NAME} <{CLAIRE}>")


def test_payload_is_stored_as_typed_and_escaped_in_the_confirmation(env: Env) -> None:
    result = env.ingest(_payload_reply())
    assert result.outcome == "applied"
    text = env.updates("1.1a")[0].text
    assert "<script>alert('x')</script>" in text and '=HYPERLINK("http://evil.example/xl","click")' in text
    assert "\x07" not in text and "\x1b" not in text  # control characters dropped (a spreadsheet refuses them)
    [conf] = env.outbox("confirmation")
    msg = email.message_from_bytes(conf.raw, policy=email.policy.default)
    html = msg.get_body(("html",)).get_content()
    plain = msg.get_body(("plain",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(" in html and "<img src=x" not in html
    assert "{{ 7*7 }}" in plain and "49" not in plain
    assert msg["To"] == CLAIRE and "Dear Claire Littlewood" in plain  # the directory's name, never the display name


def test_payload_in_the_console_is_escaped(env: Env) -> None:
    from fastapi.testclient import TestClient

    from planwarden.web.accounts import add_user
    from planwarden.web.app import create_app

    env.ingest(_payload_reply())
    env.ingest(mail(PAYLOAD, from_=f"{EVIL_NAME} <x@evil.example>"))  # held: a stranger
    with env.sessions.begin() as s:
        add_user(s, "rachel@example.org", "Rachel Hughes", "secretary", "correct horse battery")
    with TestClient(create_app(env.config, secret="test")) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
        login = client.post("/login", data={"email": "rachel@example.org", "password": "correct horse battery",
                                            "csrf_token": token}, follow_redirects=False)
        assert login.status_code == 303
        pages = [client.get("/plans/jtai/actions/1.1a"), client.get("/quarantine")]
        inbound = [w["id"] for w in client.get("/api/quarantine").json()]
        pages += [client.get(f"/messages/{i}") for i in inbound]
    assert [p.status_code for p in pages] == [200] * len(pages) and inbound
    for page in pages:
        assert "<script>alert(" not in page.text and "<img src=x" not in page.text
        assert "&lt;script&gt;alert(" in page.text or "&lt;script&gt;" in page.text


def test_payload_in_the_board_pack_and_the_export_is_text(env: Env, tmp_path: Path) -> None:
    import docx
    import openpyxl
    import pdfplumber

    from planwarden.pack.build import build, request_for
    from planwarden.plan.export import export_plan

    env.ingest(_payload_reply())
    env.ingest(mail("=1+1", from_="James Adams <james.adams@example.org>", in_reply_to=REMINDER_21D))
    held = env.ingest(mail("RAG: Green", from_="x@evil.example", subject="<script>alert('s')</script> =cmd|'/C calc'!A0"))
    assert held.outcome == "quarantined"  # listed in the secretary's annex
    out = tmp_path / "plan.xlsx"
    with env.sessions.begin() as s:
        export_plan(s, "jtai", out)  # control characters once made this fail (IllegalCharacterError)
        built = build(s, env.config, request_for(s, env.config, "jtai", dt.date(2022, 12, 14)))
    sheet = openpyxl.load_workbook(out).active
    progress = {row[2].value: row[7] for row in sheet.iter_rows(min_row=2)}
    assert progress["2.1d"].value == "=1+1" and progress["2.1d"].data_type == "s" and progress["2.1d"].quotePrefix
    assert progress["1.1a"].data_type == "s" and "<f>" not in zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml").decode()
    document = docx.Document(io.BytesIO(built.docx.read_bytes()))
    words = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    words += "\n".join(p.text for p in document.paragraphs)
    assert "<script>alert('x')</script> {{ 7*7 }}" in words and '=HYPERLINK("http://evil.example/xl","click")' in words
    rels = zipfile.ZipFile(io.BytesIO(built.docx.read_bytes()))
    assert "evil.example" not in rels.read("word/_rels/document.xml.rels").decode()  # no link was made of it
    with pdfplumber.open(io.BytesIO(built.pdf.read_bytes())) as pdf:
        text = "\n".join(p.extract_text() or "" for p in pdf.pages)
        uris = [a.get("uri") or "" for p in pdf.pages for a in (p.annots or [])]
    assert "<script>alert('x')</script> {{ 7*7 }}" in text and not any("evil.example" in u for u in uris)
    assert built.annex is not None
    with pdfplumber.open(io.BytesIO(built.annex.read_bytes())) as annex:
        listed = " ".join((p.extract_text() or "") for p in annex.pages).replace("\n", " ")
    assert "<script>alert('s')</script>" in listed


def test_rules_table_in_the_docs_names_every_rule() -> None:
    from planwarden.replies.rules import RULES

    doc = (Path(__file__).resolve().parents[1] / "docs" / "replies.md").read_text(encoding="utf-8")
    table = re.findall(r"^\| \d+ \| ([a-z-]+) \|", doc, re.M)
    assert table == [name for name, _rule in RULES]
