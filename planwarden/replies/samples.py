"""Sample contexts for `planwarden preview-emails`: the confirmation and the bounce notice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from planwarden.mail.emails import sample

PLAN = {"key": "jtai", "title": "JTAI Action Plan — Criminal Exploitation of Children", "mailbox": "jtai-plan@example.org"}


@sample("confirmation")
def _confirmation() -> dict[str, Any]:
    return {"plan": PLAN, "recipient": {"name": "Claire Littlewood", "email": "claire.littlewood@example.org"},
            "tag": "[planwarden jtai 2.1c 3.4a]", "original_subject": "RE: 2 actions need your update",
            "note": "", "received": dt.datetime(2022, 12, 15, 14, 5, tzinfo=dt.timezone.utc),
            "items": [{"ref": "2.1c", "rag_label": "AMBER", "requested_due": dt.date(2023, 3, 31),
                       "text": "Training dates agreed with the college; first session on 10 January.\n"
                               "New date: 31 March 2023"},
                      {"ref": "3.4a", "rag_label": "GREEN", "requested_due": None,
                       "text": "Audit of strategy meeting minutes complete <b>{{ 7*7 }}</b>."}]}


@sample("bounce_notice")
def _bounce_notice() -> dict[str, Any]:
    return {"plan": PLAN, "recipient": {"name": "Rachel Hughes", "email": "rachel.hughes@example.org"},
            "subject": "Undelivered Mail Returned to Sender",
            "received": dt.datetime(2022, 12, 14, 9, 0, tzinfo=dt.timezone.utc),
            "failed": [{"email": "amanda.booth@example.org", "name": "Amanda Booth",
                        "why": "5.1.1 smtp; 550 5.1.1 Recipient address rejected: User unknown"}]}
