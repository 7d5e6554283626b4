"""The IMAP mailbox against a real pymap server (dict backend) on loopback."""

from __future__ import annotations

import imaplib
import signal
import ssl
import threading
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
    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.port = free_port()
        self.tls = tls
        security = ["--cert", str(tls[0]), "--key", str(tls[1])] if tls else ["--no-tls"]
        self.proc = subprocess.Popen([str(PYMAP), "--host", "127.0.0.1", "--port", str(self.port), *security,
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
        if self.tls:
            c.starttls(ssl_context=ssl.create_default_context(cafile=str(self.tls[0])))
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


# --------------------------------------------------------------------------- UIDVALIDITY


def _recreate(server: Pymap, folder: str) -> None:
    """What a restore or an administrator's rebuild does: the folder is new, UIDs start again."""
    with server.client() as c:
        assert c.delete(f'"{folder}"')[0] == "OK" and c.create(f'"{folder}"')[0] == "OK"


def test_a_new_uidvalidity_rereads_without_applying_twice(pymap: Pymap, jtai_env: str, clock: object) -> None:
    from sqlalchemy import func, select

    from planwarden.replies.collect import collect
    from planwarden.replies.models import InboundMessage
    from replies_support import make_env

    env = make_env()
    with pymap.client() as c:
        c.create('"Replies"')
    raws = pymap.append(2, folder="Replies")
    kept = settings(pymap, folder="Replies")
    first = collect(env.sessions, env.config, ImapMailbox(kept, sessions=env.sessions))
    assert len(first.results) == 2 and first.error is None
    _recreate(pymap, "Replies")  # restored from a backup: the same two replies, and one new
    with pymap.client() as c:
        for raw in raws:
            c.append("Replies", None, None, raw)
    pymap.append(3, folder="Replies")  # reply0..2: reply2 is new
    box = ImapMailbox(kept, sessions=env.sessions)
    again = collect(env.sessions, env.config, box)
    assert box.validity_changed is not None and box.validity_changed[0] != box.validity_changed[1]
    reasons = [(r.outcome, r.reason.split(":")[0]) for r in again.results]
    assert reasons[:4] == [("ignored", "duplicate")] * 4 and len(reasons) == 5, "nothing applied twice"
    with env.sessions() as s:
        assert s.scalar(select(func.count()).select_from(InboundMessage)) == 3
    later = ImapMailbox(kept, sessions=env.sessions)
    list(later.fetch())
    assert later.validity_changed is None, "the new UIDVALIDITY was recorded with the replies"


def test_settle_never_moves_a_uid_from_an_older_uidvalidity(pymap: Pymap) -> None:
    with pymap.client() as c:
        c.create('"Replies"')
    pymap.append(1, folder="Replies")
    box = ImapMailbox(settings(pymap, folder="Replies"))
    [message] = list(box.fetch())
    _recreate(pymap, "Replies")
    with pymap.client() as c:  # a different message now has the same UID
        c.append("Replies", None, None, b"From: someone@example.org\r\nSubject: unrelated\r\n\r\nhello\r\n")
    box.close()  # the connection dropped; settle reconnects
    with pytest.raises(MailboxUnavailable, match="changed UIDVALIDITY.*not moved"):
        box.settle(message.uid, "processed")
    assert [b"unrelated" in r for r in pymap.folder("Replies")] == [True] and pymap.folder("Processed") == []


# --------------------------------------------------------------------------- TLS


@pytest.fixture
def certs(tmp_path: Path) -> tuple[Path, Path]:
    from test_smtp import _self_signed

    return _self_signed(tmp_path)


class TlsFront:
    """IMAPS on its own port in front of a plain pymap (pymap itself offers STARTTLS only)."""

    def __init__(self, backend_port: int, certs: tuple[Path, Path]) -> None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(certs[0]), str(certs[1]))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.context, self.backend_port = context, backend_port
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self.listener.accept()
                client = self.context.wrap_socket(raw, server_side=True)
            except (OSError, ssl.SSLError):
                continue
            backend = socket.create_connection(("127.0.0.1", self.backend_port))
            for a, b in ((client, backend), (backend, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def test_starttls_against_pymap_with_a_self_signed_certificate(certs: tuple[Path, Path]) -> None:
    server = Pymap(tls=certs)
    try:
        server.append(2)
        trusted = ssl.create_default_context(cafile=str(certs[0]))
        tls = settings(server, security="starttls")
        with ImapMailbox(tls, ssl_context=trusted) as box:
            assert len(list(box.fetch())) == 2
        with pytest.raises(MailboxUnavailable, match="cannot reach IMAP server.*CERTIFICATE_VERIFY_FAILED"):
            list(ImapMailbox(tls).fetch())  # not signed by anyone this machine trusts: refused
    finally:
        server.stop()


def test_imaps_with_a_self_signed_certificate(pymap: Pymap, certs: tuple[Path, Path]) -> None:
    pymap.append(2)
    front = TlsFront(pymap.port, certs)
    imaps = ImapSettings(host="127.0.0.1", port=front.port, security="ssl", username_env="T_IMAP_USER",
                         password_env="T_IMAP_PASS")
    with ImapMailbox(imaps, ssl_context=ssl.create_default_context(cafile=str(certs[0]))) as box:
        got = list(box.fetch())
        box.settle(got[0].uid, "processed")
    assert len(got) == 2 and len(pymap.folder("Processed")) == 1
    with pytest.raises(MailboxUnavailable, match="cannot reach IMAP server"):
        list(ImapMailbox(imaps).fetch())
