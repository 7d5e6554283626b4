"""Exchange Web Services (exchangelib) for **on-premises Exchange Server only**.

Microsoft 365 / Exchange Online: use the ``graph`` transport. EWS is blocked by default in
Exchange Online since 1 October 2026 and switched off on 1 April 2027.

Thin by design: sending is one ``CreateItem`` (MessageDisposition=SendAndSaveCopy, the
complete MIME message as ``MimeContent``) per message, so Exchange sends exactly the bytes
(and the Message-ID) we recorded.

Reading is ``SyncFolderItems`` on the inbox, a page of up to 100 changes at a time, then
``GetItem`` for the MIME of the new items. Like Graph's delta link, the sync state is
only offered by ``fetch``; the caller stores it with ``checkpoint(session)`` in the
transaction that records the messages read, so a restart resumes exactly there. A sync
state the server no longer accepts (``ErrorInvalidSyncStateData``) starts a full read;
replies already recorded are recognised by Message-ID.

Settling is ``MoveItem`` to a ``Processed``/``Quarantine`` folder under the mailbox root:
looked up first with ``FindFolder`` (so an existing folder, made by an administrator or
an earlier run, is reused), created with ``CreateFolder`` only when missing.

Settings: credentials from the environment variables named in ``mail.ews``; ``auth_type``
(NTLM, basic, digest) and ``version`` (e.g. ``Exchange2016``) skip exchangelib's guessing
(one failed login or a version probe per run); autodiscover is used unless ``server`` or
``service_endpoint`` is set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from planwarden.core.config import EwsSettings
from planwarden.core.ews_version import exchangelib_version
from planwarden.mail.credentials import login
from planwarden.mail.transport import (Delivery, Incoming, MailboxUnavailable, OutgoingMail,
                                       TransportUnavailable)

log = logging.getLogger(__name__)

OnResult = Callable[[int, Delivery], None]
EXCHANGE_ONLINE_HINT = ("Exchange Online (Microsoft 365) no longer serves EWS (blocked by default since "
                        "1 Oct 2026, off from 1 Apr 2027): set mail.transport = \"graph\"")
# Answers that will not change on a retry: the message (or an address in it) is wrong.
PERMANENT = {"ErrorInvalidRecipients", "ErrorMessageSizeExceeded", "ErrorInvalidIdMalformed", "ErrorMimeContentConversionFailed",
             "ErrorSendAsDenied", "ErrorAccessDenied", "ErrorInvalidSmtpAddress", "ErrorItemNotFound",
             "ErrorMissingEmailAddress", "ErrorQuotaExceeded"}


def _credentials(settings: EwsSettings) -> tuple[str, str]:
    """(user, password) from the environment or Prefect Secret blocks."""
    return login(settings, "ews", TransportUnavailable)


def _account(settings: EwsSettings, *, auth_type: str | None = None, version: Any = None) -> Any:
    """An exchangelib Account (no network traffic until first use)."""
    from exchangelib import DELEGATE, Account, Configuration, Credentials

    if not settings.primary_smtp_address:
        raise TransportUnavailable("EWS needs mail.ews.primary_smtp_address (the plan mailbox)")
    if "outlook.office365.com" in (settings.service_endpoint or settings.server or "").lower():
        raise TransportUnavailable(EXCHANGE_ONLINE_HINT)
    user, password = _credentials(settings)
    config = Configuration(server=None if settings.service_endpoint else settings.server,
                           service_endpoint=settings.service_endpoint, credentials=Credentials(user, password),
                           auth_type=auth_type or settings.auth_type,
                           version=version or exchangelib_version(settings.version))
    autodiscover = not (settings.service_endpoint or settings.server)
    return Account(settings.primary_smtp_address, config=config, autodiscover=autodiscover, access_type=DELEGATE)


def _code(exc: BaseException) -> str:
    return type(exc).__name__


def _distinguished(folder_cls: Any, account: Any) -> Any:
    """A distinguished folder addressed by name, without a round trip to look it up."""
    from exchangelib.folders import Root
    from exchangelib.properties import DistinguishedFolderId, Mailbox

    root = Root(account=account)
    return folder_cls(root=root, _distinguished_id=DistinguishedFolderId(
        id=folder_cls.DISTINGUISHED_FOLDER_ID, mailbox=Mailbox(email_address=account.primary_smtp_address)))


class EwsTransport:
    name = "ews"

    def __init__(self, settings: EwsSettings, *, auth_type: str | None = None, version: Any = None) -> None:
        self.settings, self.auth_type, self.version = settings, auth_type, version

    def send(self, batch: Sequence[OutgoingMail], on_result: OnResult | None = None) -> list[Delivery]:
        from exchangelib import Message
        from exchangelib.folders import SentItems
        from exchangelib.services import CreateItem

        account = _account(self.settings, auth_type=self.auth_type, version=self.version)
        sent_items = _distinguished(SentItems, account)
        results: list[Delivery] = []
        for mail in batch:
            try:
                CreateItem(account=account).get(items=[Message(account=account, mime_content=mail.raw)],
                                                folder=sent_items, message_disposition="SendAndSaveCopy",
                                                send_meeting_invitations="SendToNone")
                delivery = Delivery("sent")
            except Exception as exc:  # exchangelib raises one class per EWS response code
                delivery = self._classify(exc, nothing_done=not results)
            results.append(delivery)
            if on_result:
                on_result(mail.outbox_id, delivery)
        return results

    @staticmethod
    def _classify(exc: Exception, *, nothing_done: bool) -> Delivery:
        from exchangelib.errors import ResponseMessageError, TransportError, UnauthorizedError
        from requests.exceptions import RequestException

        # exchangelib reports a refused connection as ErrorTimeoutExpired ("Reraised from ConnectionError")
        if _code(exc) == "ErrorTimeoutExpired" or not isinstance(exc, ResponseMessageError) and isinstance(
                exc, (TransportError, UnauthorizedError, ConnectionError, RequestException)):
            if nothing_done:
                raise TransportUnavailable(f"cannot use EWS: {_code(exc)}") from None
            return Delivery("retry", f"EWS connection problem: {_code(exc)}")
        detail = f"{_code(exc)}: {exc}"
        return Delivery("failed" if _code(exc) in PERMANENT else "retry", detail)


class EwsMailbox:
    name = "ews"

    def __init__(self, settings: EwsSettings, *, auth_type: str | None = None, version: Any = None,
                 processed_folder: str = "Processed", quarantine_folder: str = "Quarantine",
                 sessions: sessionmaker[Session] | None = None, page_size: int = 100) -> None:
        self.settings, self.auth_type, self.version = settings, auth_type, version
        self.targets = {"processed": processed_folder, "quarantine": quarantine_folder}
        self.sessions, self.page_size = sessions, page_size
        self.state_key = f"ews-sync:{settings.primary_smtp_address}:inbox"
        self._account: Any = None
        self._folders: dict[str, Any] = {}
        self._reached: str | None = None  # the sync state once every message yielded so far is recorded
        self.resynced = False

    def account(self) -> Any:
        if self._account is None:
            self._account = _account(self.settings, auth_type=self.auth_type, version=self.version)
        return self._account

    # ------------------------------------------------------------------ sync state

    def sync_state(self) -> str | None:
        if self.sessions is None:
            return None
        from planwarden.mail.models import load_state

        with self.sessions.begin() as session:
            return load_state(session, self.state_key)

    def checkpoint(self, session: Session) -> None:
        """Store the sync state reached, in the transaction that records what was read."""
        from planwarden.mail.models import store_state

        if self._reached is not None:
            store_state(session, self.state_key, self._reached)

    # ------------------------------------------------------------------ reading

    def fetch(self, limit: int = 500) -> Iterator[Incoming]:
        count = 0
        try:
            for incoming in self._sync(limit):
                count += 1
                yield incoming
        except MailboxUnavailable:
            raise
        except Exception as exc:
            raise MailboxUnavailable(f"EWS went away after {count} messages ({_code(exc)}); nothing was moved, "
                                     "the rest will be fetched next run") from None

    def _sync(self, limit: int) -> Iterator[Incoming]:
        from exchangelib.folders import Inbox

        inbox = _distinguished(Inbox, self.account())
        state, count = self.sync_state(), 0
        while True:
            changes, next_state, last = self._page(inbox, state)
            ids = [(item.id, item.changekey) for change, item in changes if change == "create"]
            for item in self.account().fetch(ids=ids, only_fields=["mime_content"]) if ids else []:
                if isinstance(item, Exception):  # gone since the sync, or unreadable: not ours to keep
                    continue
                if count >= limit:
                    return  # the page is not finished: it is read again next run
                count += 1
                yield Incoming(uid=item.id, raw=bytes(item.mime_content or b""))
            self._reached = state = next_state
            if last:
                return

    def _page(self, inbox: Any, state: str | None) -> tuple[list[tuple[str, Any]], str, bool]:
        """One SyncFolderItems page: (changes, the state after it, whether it was the last)."""
        from exchangelib.errors import ErrorInvalidSyncStateData
        from exchangelib.services import SyncFolderItems

        svc = SyncFolderItems(account=self.account())
        try:
            changes = list(svc.call(folder=inbox, shape="IdOnly", additional_fields=set(), sync_state=state,
                                    ignore=None, max_changes_returned=self.page_size, sync_scope=None))
        except ErrorInvalidSyncStateData:
            if not state:
                raise
            log.warning("EWS: the stored sync state for %s is no longer valid; reading the whole inbox again "
                        "(replies already recorded are recognised by Message-ID)", self.settings.primary_smtp_address)
            self.resynced = True
            return self._page(inbox, None)
        return changes, str(svc.sync_state), bool(svc.includes_last_item_in_range)

    # ------------------------------------------------------------------ settling

    def _folder(self, name: str) -> Any:
        """The target folder under the mailbox root: found with FindFolder when it exists
        (an administrator's, or an earlier run's), created only when it does not."""
        from exchangelib import Q
        from exchangelib.errors import ErrorFolderExists
        from exchangelib.folders import Folder, FolderCollection, MsgFolderRoot
        from exchangelib.services import CreateFolder

        if name not in self._folders:
            account = self.account()
            root = _distinguished(MsgFolderRoot, account)
            found = [f for f in FolderCollection(account=account, folders=[root]).find_folders(
                q=Q(name=name), depth="Shallow", additional_fields=set()) if not isinstance(f, Exception)]
            if found:
                self._folders[name] = found[0]
                return found[0]
            try:
                folder = CreateFolder(account=account).get(parent_folder=root,
                                                           folders=[Folder(root=root.root, name=name)])
            except ErrorFolderExists:  # made a moment ago by another run
                folder = next(f for f in FolderCollection(account=account, folders=[root]).find_folders(
                    q=Q(name=name), depth="Shallow", additional_fields=set()) if not isinstance(f, Exception))
            self._folders[name] = folder
        return self._folders[name]

    def settle(self, uid: str, outcome: Literal["processed", "quarantine"]) -> None:
        if outcome not in self.targets:
            raise ValueError(f"bad settle outcome {outcome!r}")
        try:
            folder = self._folder(self.targets[outcome])
            results = self.account().bulk_move(ids=[(uid, None)], to_folder=folder)
        except Exception as exc:
            raise MailboxUnavailable(f"EWS could not move a message: {_code(exc)}") from None
        for result in results:
            if isinstance(result, Exception) and _code(result) != "ErrorItemNotFound":  # gone: moved already
                raise MailboxUnavailable(f"EWS could not move a message: {_code(result)}: {result}")
