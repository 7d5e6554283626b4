"""Outbox dedupe keys are stored: an upgrade must build exactly the keys the last version
stored, or mail already sent would be queued again. These pin the formats."""

from __future__ import annotations

import datetime as dt
import hashlib

from planwarden.mail import keys


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_reminder_key_is_plan_owner_day_and_content() -> None:
    key = keys.reminder("jtai", "p-ann", dt.date(2023, 2, 8), ["12:due", "13:ahead", "f7"])
    assert key == f"reminder:jtai:p-ann:2023-02-08:{_sha('12:due;13:ahead;f7')[:12]}"
    assert keys.reminder("jtai", "p-ann", dt.date(2023, 2, 8), ["12:due"]) != key  # new content, new mail
    assert len(keys.reminder("p" * 300, "x", dt.date(2023, 2, 8), [])) == 255


def test_reply_keys_follow_the_inbound_message_id() -> None:
    assert keys.reply("confirmation", "<a@b>") == f"confirmation:{_sha('<a@b>')[:48]}"
    assert keys.reply("bounce-notice:jtai", "<a@b>") == f"bounce-notice:jtai:{_sha('<a@b>')[:48]}"


def test_pack_key_per_occurrence_or_per_content() -> None:
    assert keys.pack("jtai", "board-2023-01-11", dt.date(2022, 12, 31), "f" * 64) == "pack:jtai:board-2023-01-11"
    assert keys.pack("jtai", None, dt.date(2022, 12, 31), "ab" * 32) == f"pack:jtai:2022-12-31:{'ab' * 8}"


def test_invite_key_per_version_method_and_recipients() -> None:
    people = ["b@example.org", "a@example.org"]
    expected = f"invite:uid-1:3:REQUEST:{_sha('a@example.org,b@example.org')[:16]}"
    assert keys.invite("uid-1", 3, "REQUEST", people) == expected
    long_uid = "u" * 200
    assert keys.invite(long_uid, 0, "CANCEL", people).startswith(f"invite:{_sha(long_uid)}:0:CANCEL:")
