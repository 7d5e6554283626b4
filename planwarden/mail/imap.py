"""IMAP mailbox (imaplib): replies are read by UID and moved only after the database commit.

- ``fetch`` lists *every* message in the folder (``UID SEARCH ALL``), oldest UID first, and
  reads each with ``BODY.PEEK[]`` so nothing is marked read. Every message still in the
  folder is unprocessed, because settled ones are moved out; this way a person reading the
  shared mailbox in Outlook (which clears "unseen") cannot hide a reply from planwarden.
- ``settle`` moves one message to the processed or quarantine folder (``UID MOVE``, or
  ``UID COPY`` + ``\\Deleted`` + expunge where the server lacks MOVE), creating the folder
  when missing. It is called only after the reply's effect is committed; a crash between
  commit and move means the message is fetched again and recognised by its Message-ID.
- If the server goes away mid-batch, the messages already yielded stay valid and
  ``MailboxUnavailable`` is raised: the caller commits what it has; the rest comes next run.
- UIDs mean something only with the folder's ``UIDVALIDITY``. It is noted when the folder
  is selected and stored (``checkpoint``, in the transaction that records the replies); a
  change (the folder was recreated or restored) is logged and the folder is read again
  from scratch, where replies already recorded are recognised by Message-ID. ``settle``
  refuses to move anything if the UIDVALIDITY changed since the fetch: the same UID may
  now be a different message.
- TLS: ``security = "ssl"`` (IMAPS, port 993) or ``"starttls"`` (port 143), verified
  against the system's trusted certificates (``SSL_CERT_FILE`` points at another bundle).
"""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
from collections.abc import Iterator
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from planwarden.core.config import ImapSettings
from planwarden.mail.credentials import CredentialMissing, credential, login, source
from planwarden.mail.transport import Incoming, MailboxUnavailable

log = logging.getLogger(__name__)

_NETWORK = (OSError, imaplib.IMAP4.abort, EOFError)


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapMailbox:
    name = "imap"

    def __init__(self, settings: ImapSettings, *, ssl_context: ssl.SSLContext | None = None,
                 timeout: float = 30.0, sessions: sessionmaker[Session] | None = None) -> None:
        self.settings = settings
        self.ssl_context = ssl_context
        self.timeout = timeout
        self.sessions = sessions
        self._conn: imaplib.IMAP4 | None = None
        self._capabilities: set[str] = set()
        self._validity: str | None = None  # UIDVALIDITY of the selected folder
        self._fetched_validity: str | None = None  # ... when the UIDs being settled were read
        self.validity_changed: tuple[str, str] | None = None  # (stored, now) when it changed
        user = self._user_for_key()
        self.state_key = f"imap-uidvalidity:{user}@{settings.host}:{settings.port}/{settings.folder}"

    # ------------------------------------------------------------------ connection

    def _user_for_key(self) -> str:
        """The login name in the UIDVALIDITY key (blank when it cannot be known yet)."""
        s = self.settings
        try:
            return credential(env=s.username_env, block=s.username_block, key="mail.imap.username_block") or ""
        except CredentialMissing:
            return ""

    def _credentials(self) -> tuple[str | None, str | None]:
        """(user, password) from the environment or Secret blocks; (None, None) for no login."""
        s = self.settings
        if not (s.username_env or s.username_block):
            return None, None
        return login(s, "imap", MailboxUnavailable)

    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def _connect(self) -> imaplib.IMAP4:
        s = self.settings
        context = self.ssl_context or ssl.create_default_context()
        user, password = self._credentials()
        try:
            if s.security == "ssl":
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(s.host, s.port, ssl_context=context, timeout=self.timeout)
            else:
                conn = imaplib.IMAP4(s.host, s.port, timeout=self.timeout)
                if s.security == "starttls":
                    conn.starttls(ssl_context=context)
            if user:
                conn.login(user, password or "")
            typ, data = conn.capability()
        except _NETWORK as exc:
            raise MailboxUnavailable(f"cannot reach IMAP server {self._where()}: {_reason(exc)}") from None
        except imaplib.IMAP4.error as exc:
            raise MailboxUnavailable(f"IMAP login to {self._where()} failed: check "
                                     f"{source(s.username_env, s.username_block)} / "
                                     f"{source(s.password_env, s.password_block)} ({type(exc).__name__})") from None
        self._capabilities = {c.upper() for c in (data[0] or b"").decode().split()} if typ == "OK" else set()
        return conn

    def _select(self, conn: imaplib.IMAP4) -> None:
        typ, data = conn.select(_quote(self.settings.folder))
        if typ != "OK":
            raise MailboxUnavailable(f"IMAP folder {self.settings.folder!r} cannot be opened: {_first(data)}")
        _, validity = conn.response("UIDVALIDITY")
        self._validity = _first(validity) if validity and validity[0] else None

    def _open(self) -> imaplib.IMAP4:
        if self._conn is None:
            conn = self._connect()
            try:
                self._select(conn)
            except _NETWORK as exc:
                raise MailboxUnavailable(f"IMAP server {self._where()} went away: {_reason(exc)}") from None
            self._conn = conn
        return self._conn

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.logout()
            except (*_NETWORK, imaplib.IMAP4.error):
                pass

    def __enter__(self) -> "ImapMailbox":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ reading

    # ------------------------------------------------------------------ UIDVALIDITY

    def checkpoint(self, session: Session) -> None:
        """Record the UIDVALIDITY the replies just recorded were read under."""
        from planwarden.mail.models import store_state

        if self._fetched_validity is not None:
            store_state(session, self.state_key, self._fetched_validity)

    def _check_validity(self) -> None:
        if self.sessions is None or self._validity is None:
            return
        from planwarden.mail.models import load_state

        with self.sessions.begin() as session:
            stored = load_state(session, self.state_key)
        if stored is not None and stored != self._validity:
            self.validity_changed = (stored, self._validity)
            log.warning("IMAP folder %r has a new UIDVALIDITY (%s, was %s): it was recreated or restored; reading "
                        "it again from the start (replies already recorded are recognised by Message-ID)",
                        self.settings.folder, self._validity, stored)

    # ------------------------------------------------------------------ reading

    def fetch(self, limit: int = 500) -> Iterator[Incoming]:
        conn = self._open()
        self._fetched_validity = self._validity
        self._check_validity()
        try:
            typ, data = conn.uid("SEARCH", None, "ALL")
        except _NETWORK as exc:
            self._conn = None
            raise MailboxUnavailable(f"IMAP server {self._where()} went away: {_reason(exc)}") from None
        uids = sorted(int(u) for u in (data[0] or b"").split()) if typ == "OK" else []
        for count, uid in enumerate(uids[:limit]):
            try:
                raw = self._fetch_one(conn, uid)
            except _NETWORK as exc:
                self._conn = None
                raise MailboxUnavailable(
                    f"IMAP server {self._where()} went away after {count} of {min(len(uids), limit)} messages "
                    f"({_reason(exc)}); nothing was moved, the rest will be fetched next run") from None
            if raw is not None:
                yield Incoming(uid=str(uid), raw=raw)

    @staticmethod
    def _fetch_one(conn: imaplib.IMAP4, uid: int) -> bytes | None:
        typ, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
        if typ != "OK":
            return None
        for part in data:
            if isinstance(part, tuple) and len(part) == 2:
                return bytes(part[1])
        return None  # expunged by someone else since the search

    # ------------------------------------------------------------------ settling

    def settle(self, uid: str, outcome: Literal["processed", "quarantine"]) -> None:
        if outcome not in ("processed", "quarantine") or not uid.isdigit():
            raise ValueError(f"bad settle request: {uid!r} -> {outcome!r}")
        target = self.settings.processed_folder if outcome == "processed" else self.settings.quarantine_folder
        for attempt in (1, 2):  # the connection may have dropped since fetch: reconnect once
            try:
                conn = self._open()
                self._same_folder(uid)
                self._move(conn, uid, target)
                return
            except _NETWORK as exc:
                self._conn = None
                if attempt == 2:
                    raise MailboxUnavailable(f"IMAP server {self._where()} went away while moving message "
                                             f"{uid}: {_reason(exc)}") from None

    def _same_folder(self, uid: str) -> None:
        """A UID read under one UIDVALIDITY may be another message under the next: never move it."""
        if self._fetched_validity is not None and self._validity != self._fetched_validity:
            raise MailboxUnavailable(
                f"IMAP folder {self.settings.folder!r} changed UIDVALIDITY ({self._fetched_validity} -> "
                f"{self._validity}) since it was read: message {uid} was not moved; it is read again next run "
                "and recognised by its Message-ID")

    def _move(self, conn: imaplib.IMAP4, uid: str, target: str) -> None:
        self._ensure_folder(conn, target)
        if "MOVE" in self._capabilities:
            typ, data = conn.uid("MOVE", uid, _quote(target))
        else:
            typ, data = conn.uid("COPY", uid, _quote(target))
            if typ == "OK":
                conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
                if "UIDPLUS" in self._capabilities:
                    conn.uid("EXPUNGE", uid)
                else:
                    conn.expunge()
        if typ != "OK":
            raise MailboxUnavailable(f"IMAP could not move message {uid} to {target!r}: {_first(data)}")

    @staticmethod
    def _ensure_folder(conn: imaplib.IMAP4, folder: str) -> None:
        typ, data = conn.list('""', _quote(folder))
        if typ == "OK" and any(d for d in data if d):
            return
        typ, data = conn.create(_quote(folder))
        if typ != "OK" and not re.search(rb"ALREADYEXISTS|exists", b" ".join(d for d in data if isinstance(d, bytes)),
                                         re.IGNORECASE):
            raise MailboxUnavailable(f"IMAP folder {folder!r} is missing and cannot be created: {_first(data)}")


def _first(data: list[Any]) -> str:
    for d in data or []:
        if isinstance(d, bytes):
            return d.decode("utf-8", "replace")
    return "no reason given"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
