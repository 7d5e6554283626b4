"""Reading replies: MIME, charsets, trimming, refs, RAG and requested dates (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from planwarden.replies.clean import clean_reply
from planwarden.replies.extract import extract
from planwarden.replies.message import parse
from replies_support import eml

KNOWN = {"1.1a", "2.1c", "2.1d", "3.4a", "4.2b"}


def words(name: str) -> str:
    return clean_reply(parse(eml(name)).text)


def test_outlook_desktop_keeps_only_the_new_words() -> None:
    text = words("outlook_desktop.eml")
    assert text.startswith("RAG: Green\nThe audit programme for 2023 was reviewed")
    assert "Dates for the first three audits are in the diary." in text
    for gone in ("Hi Rachel", "Kind regards", "DCI Claire", "From:", "Sent:", "Dear Claire", "HOW TO REPLY"):
        assert gone not in text


def test_outlook_ios_footer_and_header_block_removed() -> None:
    text = words("outlook_ios.eml")
    assert text == "Amber – return home interview process drafted, signing off at the MASA group on 5 January."


def test_gmail_on_wrote_over_two_lines_and_quotes_removed() -> None:
    text = words("gmail.eml")
    assert text.startswith("Status: complete")
    assert "shared with all partners." in text
    assert "wrote" not in text and ">" not in text and "Best wishes" not in text


def test_apple_mail_sent_from_iphone_removed() -> None:
    text = words("apple_mail.eml")
    assert text == ("3.4a green. All strategy meeting minutes from October and November audited – findings "
                    "reported to the Executive.")


def test_html_only_is_converted_and_history_dropped() -> None:
    mail = parse(eml("html_only.eml"))
    assert mail.html_only
    text = clean_reply(mail.text)
    assert "Green – audit programme reviewed & agreed by the QA subgroup." in text
    assert "Next audit: neglect, in February." in text
    assert "Dear Claire" not in text and "From:" not in text and "margin" not in text


def test_cp1252_quoted_printable_pound_stays_pound() -> None:
    text = words("cp1252_qp.eml")
    assert "£12,000" in text and "provider’s" in text and "Amber – funding" in text
    assert "Original Message" not in text and "Regards" not in text


def test_disclaimer_and_protective_marking_removed() -> None:
    text = words("disclaimer.eml")
    assert text == "Amber. Evaluation drafted; it goes to the LSCP Executive in January.\nNew date: 31 January 2023"


def test_digest_reply_splits_into_paragraphs_by_ref() -> None:
    pieces = extract(words("digest_two.eml"), KNOWN)
    assert [(p.ref, p.rag) for p in pieces] == [("2.1c", "amber"), ("3.4a", "green")]
    assert pieces[0].text.startswith("Training dates agreed with the college")
    assert pieces[0].requested_due == dt.date(2023, 3, 31)
    assert pieces[1].text.startswith("Audit of strategy meeting minutes complete")
    assert pieces[1].requested_due is None


@pytest.mark.parametrize("text, rag", [
    ("RAG: Green\nDone", "green"), ("Status: complete", "green"), ("Green", "green"), ("green - all done", "green"),
    ("AMBER – slipping", "amber"), ("A - waiting for data", "amber"), ("rag status is red", "red"),
    ("A meeting was held with partners", None), ("The status of the audit is unclear", None),
    ("Red flags were found in the audit", None), ("Red tape at the college has delayed it", None),
    ("Green light from the board", None), ("The status is done for phase one", None), ("Published today. Status: complete", "green"),
    ("RAG: Green|Amber|Red", None), ("We are not green yet", None), ("G. Ball agreed the plan.", None), ("Update.\n\nGreen\n", "green"), ("RAG: G", "green"), ("Status: a bit behind", None),
])
def test_rag_forms(text: str, rag: str | None) -> None:
    assert extract(text, KNOWN)[0].rag == rag


@pytest.mark.parametrize("text, due", [
    ("New date: 31 March 2023", dt.date(2023, 3, 31)), ("Revised due date 30/06/2023 please", dt.date(2023, 6, 30)),
    ("Could we extend the deadline to April 2023?", dt.date(2023, 4, 30)), ("Met on 31 March 2023.", None),
])
def test_requested_dates(text: str, due: dt.date | None) -> None:
    assert extract(text, KNOWN)[0].requested_due == due


def test_bounce_report_is_read() -> None:
    mail = parse(eml("bounce_dsn.eml"))
    assert mail.delivery_status and mail.delivery_status[0].recipient == "amanda.booth@example.org"
    assert mail.delivery_status[0].action == "failed" and mail.delivery_status[0].status == "5.1.1"
    assert mail.reported_message_ids == ["<reminder-amanda-42b@jtai-plan.example.org>"]
    assert mail.return_path == ""


@pytest.mark.parametrize("raw", [
    b"", b"\x00\xff\xfe garbage", b"From: nobody\n\n", b"Subject: \xe9t\xe9 \xff\n\nbody \xe9",
    b"Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nhello\n--x",  # no end
    b"Content-Type: multipart/mixed\n\nno boundary at all",
    b"Content-Type: text/plain; charset=klingon\nContent-Transfer-Encoding: base64\n\n!!!notbase64",
    b"Subject: =?utf-8?q?broken=ZZ?= =?x-unknown?b?Zm9v?=\n\n.",
])
def test_malformed_input_never_raises(raw: bytes) -> None:
    mail = parse(raw)
    assert mail.message_id.startswith("<") and mail.synthetic_id


def test_eight_bit_headers_are_decoded() -> None:
    raw = "From: Zoë Brontë <zoe@example.org>\nSubject: Ré: update – £5\nMessage-ID: <8bit@x>\n\nGreen".encode()
    mail = parse(raw)
    assert mail.sender_name == "Zoë Brontë" and mail.subject == "Ré: update – £5" and mail.sender == "zoe@example.org"
