"""Replies end to end through ingest_raw: every outcome, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from planwarden.plan.models import History, Person, ProgressUpdate
from planwarden.replies.models import InboundMessage
from replies_support import Env, eml, make_env, reply


@pytest.fixture
def env(jtai_env: str, clock: object) -> Env:
    return make_env()


def test_outlook_desktop_reply_applied_with_history_and_confirmation(env: Env) -> None:
    result = env.ingest(eml("outlook_desktop.eml"))
    assert (result.outcome, result.reason) == ("applied", "applied to 1.1a")
    [u] = result.as_json()["updates"]
    assert u["ref"] == "1.1a" and u["rag"] == "green" and u["requested_due"] is None
    assert u["text"].startswith("The audit programme for 2023 was reviewed")
    assert env.action("1.1a").rag == "green"
    [stored] = env.updates("1.1a")
    assert stored.source == "email" and stored.message_id == result.message_id
    assert stored.author == "Claire Littlewood" and stored.date == dt.date(2022, 12, 14)
    with env.sessions() as s:
        fields = [h.field for h in s.scalars(select(History).where(History.source == "email"))]
        rag = s.scalar(select(History).where(History.field == "rag"))
    assert fields == ["update", "rag"] and (rag.old, rag.new) == ("amber", "green")
    assert rag.source_ref == result.message_id
    [conf] = env.outbox("confirmation")
    assert conf.to == ["claire.littlewood@example.org"] and conf.items[0]["ref"] == "1.1a"
    import email
    sent = email.message_from_bytes(conf.raw)
    assert " ".join(sent["In-Reply-To"].split()) == result.message_id and "Recorded: update to 1.1a" in conf.subject
    assert sent["Auto-Submitted"] == "auto-generated"


def test_duplicate_is_ignored_and_applied_once(env: Env) -> None:
    first = env.ingest(eml("outlook_desktop.eml"))
    again = env.ingest(eml("outlook_desktop.eml"))
    assert first.outcome == "applied"
    assert again.outcome == "ignored" and again.reason.startswith("duplicate")
    assert len(env.updates("1.1a")) == 1 and len(env.outbox("confirmation")) == 1


def test_digest_reply_updates_two_actions(env: Env) -> None:
    result = env.ingest(eml("digest_two.eml"))
    assert result.outcome == "applied"
    got = {u["ref"]: u for u in result.as_json()["updates"]}
    assert got["2.1c"]["rag"] == "amber" and got["2.1c"]["requested_due"] == "2023-03-31"
    assert got["3.4a"]["rag"] == "green" and "findings went to the Executive" in got["3.4a"]["text"]
    assert env.action("2.1c").rag == "amber" and env.action("3.4a").rag == "green"
    assert env.action("2.1c").due == dt.date(2022, 12, 16)  # a request for the board, never applied
    [u] = env.updates("2.1c")
    assert u.requested_due == dt.date(2023, 3, 31) and "requested" in u.decision
    [conf] = env.outbox("confirmation")
    assert {i["ref"] for i in conf.items} == {"2.1c", "3.4a"}


@pytest.mark.parametrize("name, ref, rag, words", [
    ("outlook_ios.eml", "2.1d", "amber", "return home interview process drafted"),
    ("gmail.eml", "4.2b", "green", "published on the LSCP website"),
    ("apple_mail.eml", "3.4a", "green", "All strategy meeting minutes"),
    ("html_only.eml", "1.1a", "green", "audit programme reviewed & agreed"),
    ("cp1252_qp.eml", "2.1d", "amber", "funding of £12,000 agreed"),
    ("disclaimer.eml", "4.2b", "amber", "Evaluation drafted"),
])
def test_clients_applied(env: Env, name: str, ref: str, rag: str, words: str) -> None:
    result = env.ingest(eml(name))
    assert result.outcome == "applied", result.reason
    [u] = result.updates
    assert (u["ref"], u["rag"]) == (ref, rag) and words in u["text"]
    for junk in ("Get Outlook", "wrote:", "Sent from", "confidential", "OFFICIAL", "From:"):
        assert junk not in u["text"]


def test_deputy_reply_applied_with_author(env: Env) -> None:
    result = env.ingest(eml("deputy.eml"))
    assert result.outcome == "applied" and result.updates[0]["rag"] == "amber"
    assert env.updates("1.1a")[0].author == "Priya Shah for Claire Littlewood"


def test_auto_reply_ignored_nothing_changes_no_confirmation(env: Env) -> None:
    result = env.ingest(eml("auto_submitted.eml"))
    assert result.outcome == "ignored" and result.reason.startswith("auto-reply (Auto-Submitted: auto-replied)")
    assert env.action("2.1c").rag == "red" and not env.updates("2.1c") and not env.outbox("confirmation")


def test_out_of_office_notes_return_date(env: Env) -> None:
    result = env.ingest(eml("ooo_return_date.eml"))
    assert result.outcome == "ignored" and "away until 2023-01-03" in result.reason
    with env.sessions() as s:
        person = s.scalar(select(Person).where(Person.key == "james.adams"))
    assert person.away_until == dt.date(2023, 1, 2)  # last day away: reminders go to the deputy until then
    assert env.action("2.1d").rag == "amber" and not env.updates("2.1d") and not env.outbox("confirmation")


def test_bounce_marks_address_failing_and_tells_secretary(env: Env) -> None:
    result = env.ingest(eml("bounce_dsn.eml"))
    assert result.outcome == "ignored" and result.reason.startswith("bounce: delivery failed to amanda.booth@example.org")
    with env.sessions() as s:
        person = s.scalar(select(Person).where(Person.key == "amanda.booth"))
    assert person.failing_since is not None and "5.1.1" in person.failing_reason
    [notice] = env.outbox("notice")
    assert notice.to == ["rachel.hughes@example.org"] and "amanda.booth@example.org" in notice.subject
    assert not env.outbox("confirmation")


def test_stranger_quarantined_with_original_kept(env: Env) -> None:
    raw = eml("stranger.eml")
    result = env.ingest(raw)
    assert result.outcome == "quarantined" and result.settle_as == "quarantine"
    assert result.reason == "sender claire.littlewood.private@gmail.com is not an owner or registered deputy of 2.1c"
    assert env.action("2.1c").rag == "red" and not env.updates("2.1c") and not env.outbox("confirmation")
    with env.sessions() as s:
        row = s.scalar(select(InboundMessage))
    assert row.raw == raw and row.outcome == "quarantined"


def test_known_person_not_owner_is_quarantined(env: Env) -> None:
    raw = reply("Green. Done.", sender="amanda.booth@example.org", name="Amanda Booth")
    result = env.ingest(raw)
    assert result.outcome == "quarantined"
    assert result.reason == "sender amanda.booth@example.org is not an owner or registered deputy of 1.1a"


def test_dmarc_fail_quarantined(env: Env) -> None:
    result = env.ingest(eml("dmarc_fail.eml"))
    assert (result.outcome, result.reason) == ("quarantined", "sender authentication failed: dmarc=fail")
    assert env.action("1.1a").rag == "amber"


def test_injection_stored_as_typed_and_escaped_in_confirmation(env: Env) -> None:
    result = env.ingest(eml("injection.eml"))
    assert result.outcome == "applied"
    text = result.updates[0]["text"]
    assert "<script>alert('owned')</script>" in text and "{{ 7*7 }}" in text and "{% raw %}" in text
    [conf] = env.outbox("confirmation")
    import email
    import email.policy
    msg = email.message_from_bytes(conf.raw, policy=email.policy.default)
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "{{ 7*7 }}" in plain and "49" not in plain and "<script>alert('owned')</script>" in plain
    assert "&lt;script&gt;" in html and "<script>" not in html and "{{ 7*7 }}" in html


def test_large_attachment_kept_as_evidence_within_limits(env: Env) -> None:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Claire Littlewood <claire.littlewood@example.org>", "x@y", "RE: x"
    msg["Message-ID"], msg["In-Reply-To"] = "<big@example.org>", "<reminder-claire-11a@jtai-plan.example.org>"
    msg.set_content("Amber. Audit report attached; small summary attached too.")
    msg.add_attachment(b"%PDF-1.7\n" + b"0" * (20 * 1024 * 1024), maintype="application", subtype="pdf",
                       filename="audit-report.pdf")
    msg.add_attachment(b"ref,rag\n1.1a,amber\n", maintype="text", subtype="csv", filename="summary.csv")
    raw = msg.as_bytes()
    result = env.ingest(raw)
    assert result.outcome == "applied" and result.updates[0]["text"].startswith("Audit report attached")
    with env.sessions() as s:
        row = s.scalar(select(InboundMessage))
        atts = {a.filename: a for a in row.attachments}
        assert len(row.raw) == len(raw)  # the original kept whole
        assert atts["audit-report.pdf"].content is None and atts["audit-report.pdf"].size > 20 * 1024 * 1024
        assert "over the 10 MB limit" in atts["audit-report.pdf"].note
        assert atts["summary.csv"].content == b"ref,rag\n1.1a,amber\n"


def test_reply_for_deleted_action_is_quarantined(env: Env, clock: object) -> None:
    from planwarden.core import clock as clk
    from planwarden.plan.models import Action

    with env.sessions.begin() as s:
        s.get(Action, env.ids["1.1a"]).deleted_at = clk.now()
    result = env.ingest(eml("outlook_desktop.eml"))
    assert result.outcome == "quarantined" and "1.1a has been deleted" in result.reason


def test_digest_reply_without_refs_is_quarantined(env: Env) -> None:
    raw = reply("All going fine, nearly there.", in_reply_to="<reminder-claire-digest@jtai-plan.example.org>")
    result = env.ingest(raw)
    assert result.outcome == "quarantined" and "does not say which one" in result.reason


def test_subject_tag_then_body_ref_matching(env: Env) -> None:
    by_tag = env.ingest(reply("Amber - slipping", in_reply_to=None, message_id="<t1@x>",
                              subject="RE: [planwarden jtai 2.1c] Reminder"))
    by_body = env.ingest(reply("Update on 2.1c: green, all sessions delivered.", in_reply_to=None,
                               message_id="<t2@x>", subject="training"))
    nothing = env.ingest(reply("All fine.", in_reply_to=None, message_id="<t3@x>", subject="hello"))
    assert by_tag.outcome == "applied" and by_tag.updates[0]["ref"] == "2.1c"
    assert by_body.outcome == "applied" and by_body.updates[0]["rag"] == "green"
    assert nothing.outcome == "quarantined" and nothing.reason.startswith("no action found")


def test_empty_reply_is_quarantined(env: Env) -> None:
    result = env.ingest(reply("\n\nKind regards\nClaire\n"))
    assert result.outcome == "quarantined" and result.reason.startswith("no update found")


@pytest.mark.parametrize("headers", [
    {"Auto-Submitted": "auto-generated"}, {"X-Auto-Response-Suppress": "All"}, {"Precedence": "bulk"},
    {"Return-Path": "<>"}, {"Precedence": "list"},
])
def test_auto_reply_headers(env: Env, headers: dict[str, str]) -> None:
    result = env.ingest(reply("Green", headers=headers))
    assert result.outcome == "ignored" and result.reason.startswith("auto-reply")
    assert not env.updates("1.1a")


def test_auto_submitted_no_is_a_person(env: Env) -> None:
    assert env.ingest(reply("Green", headers={"Auto-Submitted": "no"})).outcome == "applied"


def test_message_without_message_id_gets_a_synthetic_one(env: Env) -> None:
    raw = reply("Amber - in hand").replace(b"Message-ID: <r-1@example.org>\n", b"")
    first, again = env.ingest(raw), env.ingest(raw)
    assert first.outcome == "applied" and first.message_id.endswith("@planwarden.synthetic>")
    assert again.outcome == "ignored" and again.reason.startswith("duplicate")


@pytest.mark.parametrize("raw", [
    b"",
    b"From: Claire Littlewood <claire.littlewood@example.org>\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\n"
    b"Content-Type: text/plain\n\nGreen\n--zz\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n!!!",
    "From: Zoë <claire.littlewood@example.org>\nSubject: Ré \xff\nIn-Reply-To: <reminder-claire-11a@jtai-plan.example.org>\n\nGreen".encode("latin-1"),
    b"no headers at all, just text about 1.1a",
])
def test_malformed_messages_end_in_an_outcome(env: Env, raw: bytes) -> None:
    result = env.ingest(raw)
    assert result.outcome in ("applied", "ignored", "quarantined")
    with env.sessions() as s:
        assert s.scalar(select(func.count()).select_from(InboundMessage)) == 1


def test_nested_forwards_kept_as_attachments(env: Env) -> None:
    from email.message import EmailMessage

    inner = EmailMessage()
    inner["From"], inner["Subject"] = "someone@example.org", "deep"
    inner.set_content("Green - this is quoted, not the update")
    middle = EmailMessage()
    middle["From"], middle["Subject"] = "other@example.org", "Fw: deep"
    middle.set_content("see below")
    middle.add_attachment(inner)
    outer = EmailMessage()
    outer["From"] = "Claire Littlewood <claire.littlewood@example.org>"
    outer["Message-ID"], outer["In-Reply-To"] = "<fwd@x>", "<reminder-claire-11a@jtai-plan.example.org>"
    outer["Subject"] = "RE: reminder"
    outer.set_content("Amber - forwarding the partner's note as evidence.")
    outer.add_attachment(middle)
    result = env.ingest(outer.as_bytes())
    assert result.outcome == "applied" and result.updates[0]["rag"] == "amber"
    assert "quoted, not the update" not in result.updates[0]["text"]


def test_an_unexpected_error_quarantines_instead_of_losing(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    import planwarden.replies.effects as effects

    def boom(*args: object) -> None:
        raise RuntimeError("bug")
    monkeypatch.setattr(effects, "apply_updates", boom)
    result = env.ingest(eml("outlook_desktop.eml"))
    assert result.outcome == "quarantined" and "RuntimeError" in result.reason
    assert env.action("1.1a").rag == "amber" and not env.updates("1.1a")
    with env.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ProgressUpdate)) == 0
