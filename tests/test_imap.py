"""The IMAP mailbox against a real pymap server (dict backend) on loopback."""

from __future__ import annotations

import imaplib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from planwarden.core.config import ImapSettings
from planwarden.mail.imap import ImapMailbox
from planwarden.mail.transport import MailboxUnavailable
from servers import free_port

PYMAP = Path(sys.executable).with_name("pymap")


class Pymap:
    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen([str(PYMAP), "--host", "127.0.0.1", "--port", str(self.port), "--no-tls",
                                      "dict", "--demo-data", "--demo-user", "replies", "--demo-password", "pw"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"pymap did not start: {self.proc.stderr.read() if self.proc.stderr else ''}")
                time.sleep(0.05)
        with self.client() as c:  # start from an empty INBOX (the demo data has a few messages)
            c.select("INBOX")
            c.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
            c.expunge()

    def client(self) -> imaplib.IMAP4:
        c = imaplib.IMAP4("127.0.0.1", self.port)
        c.login("replies", "pw")
        return c

    def append(self, n: int, folder: str = "INBOX") -> list[bytes]:
        raws = [(f"From: Owner {i} <owner{i}@example.org>\r\nTo: plan@example.org\r\n"
                 f"Subject: RE: Reminder [planwarden jtai 2.1d]\r\nMessage-ID: <reply{i}@example.org>\r\n\r\n"
                 f"2.1d Green - done ({i}).\r\n").encode() for i in range(n)]
        with self.client() as c:
            for raw in raws:
                assert c.append(folder, None, None, raw)[0] == "OK"
        return raws

    def folder(self, name: str) -> list[bytes]:
        with self.client() as c:
            typ, _ = c.select(f'"{name}"')
            if typ != "OK":
                return []
            _, data = c.uid("SEARCH", None, "ALL")
            out = []
            for uid in (data[0] or b"").split():
                _, parts = c.uid("FETCH", uid, "(BODY.PEEK[])")
                out.extend(bytes(p[1]) for p in parts if isinstance(p, tuple))
            return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


@pytest.fixture
def pymap() -> Iterator[Pymap]:
    server = Pymap()
    yield server
    server.stop()


def settings(server: Pymap, **kw: str) -> ImapSettings:
    return ImapSettings(host="127.0.0.1", port=server.port, username_env="T_IMAP_USER", password_env="T_IMAP_PASS",
                        **kw)


@pytest.fixture(autouse=True)
def creds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_IMAP_USER", "replies")
    monkeypatch.setenv("T_IMAP_PASS", "pw")


def test_fetch_reads_by_uid_oldest_first_and_moves_nothing(pymap: Pymap) -> None:
    raws = pymap.append(3)
    with ImapMailbox(settings(pymap)) as box:
        got = list(box.fetch())
        assert [m.raw.replace(b"\r\n", b"\n") for m in got] == [r.replace(b"\r\n", b"\n") for r in raws]
        assert [int(m.uid) for m in got] == sorted(int(m.uid) for m in got)
        assert [m.uid for m in box.fetch(limit=2)] == [m.uid for m in got[:2]]
    assert len(pymap.folder("INBOX")) == 3, "fetching moves nothing"
    with pymap.client() as c:  # and marks nothing read
        c.select("INBOX")
        assert len(c.uid("SEARCH", None, "UNSEEN")[1][0].split()) == 3


def test_settle_moves_to_processed_or_quarantine_creating_the_folders(pymap: Pymap) -> None:
    pymap.append(3)
    with ImapMailbox(settings(pymap, processed_folder="Planwarden Processed")) as box:
        first, second, third = list(box.fetch())
        box.settle(first.uid, "processed")
        box.settle(second.uid, "quarantine")
    assert len(pymap.folder("INBOX")) == 1
    assert [b"Message-ID: <reply0@example.org>" in r for r in pymap.folder("Planwarden Processed")] == [True]
    assert [b"Message-ID: <reply1@example.org>" in r for r in pymap.folder("Quarantine")] == [True]
    with ImapMailbox(settings(pymap, processed_folder="Planwarden Processed")) as box:  # a later run
        assert [m.uid for m in box.fetch()] == [third.uid]
        box.settle(third.uid, "processed")
    assert len(pymap.folder("Planwarden Processed")) == 2 and pymap.folder("INBOX") == []


def test_settle_without_move_support_copies_and_expunges(pymap: Pymap) -> None:
    pymap.append(2)
    with ImapMailbox(settings(pymap)) as box:
        first, _ = list(box.fetch())
        box._capabilities.discard("MOVE")
        box.settle(first.uid, "processed")
    assert len(pymap.folder("INBOX")) == 1 and len(pymap.folder("Processed")) == 1


def test_the_server_going_away_mid_batch_keeps_what_was_fetched_and_says_so(pymap: Pymap) -> None:
    pymap.append(5)
    box = ImapMailbox(settings(pymap))
    got = []
    with pytest.raises(MailboxUnavailable, match=r"went away after 2 of 5 messages.*nothing was moved"):
        for message in box.fetch():
            got.append(message)
            if len(got) == 2:
                pymap.stop()
    assert [b"<reply0@example.org>" in got[0].raw, b"<reply1@example.org>" in got[1].raw] == [True, True]
    with pytest.raises(MailboxUnavailable, match="went away while moving|cannot reach IMAP"):
        box.settle(got[0].uid, "processed")


def test_server_down_and_bad_credentials_are_clear_errors(pymap: Pymap, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_IMAP_PASS", "wrong")
    with pytest.raises(MailboxUnavailable, match=r"login .* failed: check \$T_IMAP_USER") as info:
        list(ImapMailbox(settings(pymap)).fetch())
    assert "wrong" not in str(info.value)
    with pytest.raises(MailboxUnavailable, match="cannot reach IMAP server"):
        list(ImapMailbox(ImapSettings(host="127.0.0.1", port=free_port())).fetch())
