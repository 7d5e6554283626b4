"""A line on a reminder that goes out after the day it was written for.

A reminder is rendered when the daily run queues it. If the mail server was down all
that day, the outbox flow sends it later; the owner should not be told "due today"
without knowing it was written yesterday. The stored message is left as queued (it is
the record); only the copy handed to the transport carries the line, at the top of the
plain-text and HTML bodies.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import html
from email.message import EmailMessage


def late_line(written: dt.date) -> str:
    return (f"This reminder was written on {written:%A %-d %B %Y} but could not be sent that day "
            "(the mail service was unavailable); the dates below are as they were then.")


def with_late_line(raw: bytes, written: dt.date) -> bytes:
    """``raw`` with the late line first in each body part; unchanged if it cannot be read."""
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        line = late_line(written)
        changed = False
        for part in msg.walk():
            if part.is_multipart() or part.get_content_disposition() == "attachment":
                continue
            ctype = part.get_content_type()
            if ctype == "text/plain":
                part.set_content(f"{line}\n\n{part.get_content()}", cte="quoted-printable")
                changed = True
            elif ctype == "text/html":
                body = part.get_content()
                note = f'<p style="margin:0 0 12px 0;"><strong>{html.escape(line)}</strong></p>'
                at = body.lower().find("<body")
                at = body.find(">", at) + 1 if at >= 0 else 0
                part.set_content(body[:at] + note + body[at:], subtype="html", cte="quoted-printable")
                changed = True
        return msg.as_bytes(policy=email.policy.SMTP) if changed else raw  # CRLF, as stored
    except Exception:  # noqa: BLE001 - a line is a courtesy: never stop a message going out for it
        return raw
