"""Building RFC 5322 messages: one place sets the headers every planwarden mail carries."""

from __future__ import annotations

import email.utils
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP


@dataclass
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "octet-stream"


@dataclass
class Draft:
    """An email before it is queued. ``headers`` are extra headers (e.g. In-Reply-To)."""

    sender: str
    to: list[str]
    subject: str
    text: str
    html: str | None = None
    cc: list[str] = field(default_factory=list)
    reply_to: str | None = None
    sender_name: str = "planwarden"
    headers: dict[str, str] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)
    auto_generated: bool = True
    calendar: tuple[str, bytes] | None = None  # (iTIP method, .ics bytes): an invitation


def new_message_id(sender: str) -> str:
    """A globally unique Message-ID on the sender's domain, recorded before sending."""
    domain = sender.rsplit("@", 1)[-1] or "planwarden.invalid"
    return f"<{uuid.uuid4().hex}@{domain}>"


def build(draft: Draft, message_id: str, date: float | None = None) -> EmailMessage:
    """The full message: text (+HTML) alternative, attachments, and the headers that
    stop auto-replies and tie replies back to us."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = str(Address(draft.sender_name, addr_spec=draft.sender))
    msg["To"] = ", ".join(draft.to)
    if draft.cc:
        msg["Cc"] = ", ".join(draft.cc)
    msg["Subject"] = draft.subject
    msg["Message-ID"] = message_id
    msg["Date"] = email.utils.formatdate(date, localtime=False)
    if draft.reply_to:
        msg["Reply-To"] = draft.reply_to
    if draft.auto_generated:
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"
    for name, value in draft.headers.items():
        msg[name] = value
    msg.set_content(draft.text, cte="quoted-printable")
    if draft.html:
        msg.add_alternative(draft.html, subtype="html", cte="quoted-printable")
    if draft.calendar:
        _add_calendar(msg, *draft.calendar)
    for att in draft.attachments:
        msg.add_attachment(att.content, maintype=att.maintype, subtype=att.subtype, filename=att.filename)
    return msg


def _add_calendar(msg: EmailMessage, method: str, ics: bytes) -> None:
    """An iTIP invitation (RFC 6047): a text/calendar alternative whose ``method`` matches
    the METHOD inside (Outlook ignores it otherwise), plus the same file as invite.ics
    for clients that only offer attachments."""
    text = ics.decode("utf-8")
    msg.add_alternative(text, subtype="calendar", charset="utf-8", params={"method": method},
                        cte="7bit" if text.isascii() else "base64")
    _unquoted_method(msg, method)
    msg.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics")


def _unquoted_method(msg: EmailMessage, method: str) -> None:
    """``method=REQUEST`` as Outlook and Google write it. Python's email package quotes every
    parameter (``method="REQUEST"``); that is valid MIME, but some Outlook versions have been
    reported to show such an invitation as a plain attachment, so the header is written as
    the clients that read it most write it themselves (set raw: the package would re-quote it)."""
    part = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    del part["Content-Type"]
    part.set_raw("Content-Type", f"text/calendar; charset=utf-8; method={method}")


def envelope_recipients(to: Sequence[str], cc: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for addr in [*to, *cc]:
        seen.setdefault(addr.strip(), None)
    return tuple(seen)
