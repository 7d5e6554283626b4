"""The outbox-folder transport and mailbox: the files themselves."""

from __future__ import annotations

import email
import email.policy
import os
from pathlib import Path

import pytest

from planwarden.core.clock import FixedClock
from planwarden.mail.compose import Draft, build
from planwarden.mail.outbox_folder import FolderMailbox, OutboxFolderTransport
from planwarden.mail.transport import Delivery, OutgoingMail, TransportUnavailable


def _mail(oid: int, subject: str = "Reminder: 2.1d due in 3 days [planwarden jtai 2.1d]") -> OutgoingMail:
    draft = Draft(sender="planwarden@example.org", to=["pat@example.org"], subject=subject, text="Hello.")
    return OutgoingMail(oid, f"<m{oid}@example.org>", draft.sender, ("pat@example.org",),
                        build(draft, f"<m{oid}@example.org>").as_bytes())


def test_each_message_is_an_eml_file_named_by_time_id_and_subject(tmp_path: Path, clock: FixedClock) -> None:
    seen: list[tuple[int, Delivery]] = []
    out = OutboxFolderTransport(tmp_path / "outbox")
    results = out.send([_mail(7), _mail(8, "Ünïcode — subject!")], on_result=lambda i, d: seen.append((i, d)))
    names = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert names == ["20221214-090000-7-reminder-2-1d-due-in-3-days-planwarden-jtai-2-1d.eml",
                     "20221214-090000-8-unicode-subject.eml"]
    assert [d.outcome for d in results] == ["sent", "sent"] and [i for i, _ in seen] == [7, 8]
    msg = email.message_from_bytes(Path(results[0].location or "").read_bytes(), policy=email.policy.default)
    assert msg["Message-ID"] == "<m7@example.org>" and msg.get_content().strip() == "Hello."
    assert not [p for p in (tmp_path / "outbox").iterdir() if p.name.startswith(".")]


def test_an_unwritable_folder_means_the_transport_is_unavailable(tmp_path: Path, clock: FixedClock) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(TransportUnavailable):
        OutboxFolderTransport(blocker / "outbox").send([_mail(1)])


def test_folder_mailbox_reads_oldest_first_and_moves_only_when_settled(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i, name in enumerate(["b.eml", "a.eml", "c.eml"]):
        (inbox / name).write_bytes(f"Subject: {name}\r\n\r\nbody\r\n".encode())
        os.utime(inbox / name, (1_000_000 + i, 1_000_000 + i))
    (inbox / "notes.txt").write_text("ignored")
    box = FolderMailbox(inbox)
    got = list(box.fetch())
    assert [m.uid for m in got] == ["b.eml", "a.eml", "c.eml"]
    assert got[0].raw.startswith(b"Subject: b.eml")
    assert [m.uid for m in box.fetch(limit=1)] == ["b.eml"]
    assert len(list(box.fetch())) == 3  # fetching moves nothing
    box.settle("b.eml", "processed")
    box.settle("a.eml", "quarantine")
    box.settle("b.eml", "processed")  # a rerun after a crash: harmless
    assert [m.uid for m in box.fetch()] == ["c.eml"]
    assert (inbox / "processed" / "b.eml").exists() and (inbox / "quarantine" / "a.eml").exists()
    with pytest.raises(ValueError):
        box.settle("../x.eml", "processed")
    assert list(FolderMailbox(tmp_path / "missing").fetch()) == []
