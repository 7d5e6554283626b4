"""Exchange Web Services (exchangelib) for **on-premises Exchange Server only**.

Microsoft 365 / Exchange Online: use the ``graph`` transport. EWS is blocked by default in
Exchange Online since 1 October 2026 and switched off on 1 April 2027.

Thin by design: sending is one ``CreateItem`` (MessageDisposition=SendAndSaveCopy, the
complete MIME message as ``MimeContent``) per message, so Exchange sends exactly the bytes
(and the Message-ID) we recorded. Reading is ``FindItem`` on the inbox, oldest first, then
``GetItem`` for the MIME; settling is ``MoveItem`` to a ``Processed``/``Quarantine`` folder
under the mailbox root, created when missing. Credentials come from the environment
variables named in the settings; autodiscover is off whenever ``service_endpoint`` is set.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

from planwarden.core.config import EwsSettings
from planwarden.mail.transport import (Delivery, Incoming, MailboxUnavailable, OutgoingMail,
                                       TransportUnavailable)

OnResult = Callable[[int, Delivery], None]
EXCHANGE_ONLINE_HINT = ("Exchange Online (Microsoft 365) no longer serves EWS (blocked by default since "
                        "1 Oct 2026, off from 1 Apr 2027): set mail.transport = \"graph\"")
# Answers that will not change on a retry: the message (or an address in it) is wrong.
PERMANENT = {"ErrorInvalidRecipients", "ErrorMessageSizeExceeded", "ErrorInvalidIdMalformed", "ErrorMimeContentConversionFailed",
             "ErrorSendAsDenied", "ErrorAccessDenied", "ErrorInvalidSmtpAddress", "ErrorItemNotFound",
             "ErrorMissingEmailAddress", "ErrorQuotaExceeded"}


def _account(settings: EwsSettings, *, auth_type: str | None = None, version: Any = None) -> Any:
    """An exchangelib Account (no network traffic until first use)."""
    from exchangelib import DELEGATE, Account, Configuration, Credentials

    if not settings.primary_smtp_address:
        raise TransportUnavailable("EWS needs mail.ews.primary_smtp_address (the plan mailbox)")
    if "outlook.office365.com" in (settings.service_endpoint or settings.server or "").lower():
        raise TransportUnavailable(EXCHANGE_ONLINE_HINT)
    user, password = os.environ.get(settings.username_env), os.environ.get(settings.password_env)
    if not user or password is None:
        raise TransportUnavailable(f"EWS credentials missing: set {settings.username_env} and {settings.password_env}")
    config = Configuration(server=None if settings.service_endpoint else settings.server,
                           service_endpoint=settings.service_endpoint, credentials=Credentials(user, password),
                           auth_type=auth_type, version=version)
    return Account(settings.primary_smtp_address, config=config, autodiscover=not settings.service_endpoint,
                   access_type=DELEGATE)


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
                 processed_folder: str = "Processed", quarantine_folder: str = "Quarantine") -> None:
        self.settings, self.auth_type, self.version = settings, auth_type, version
        self.targets = {"processed": processed_folder, "quarantine": quarantine_folder}
        self._account: Any = None
        self._folders: dict[str, Any] = {}

    def account(self) -> Any:
        if self._account is None:
            self._account = _account(self.settings, auth_type=self.auth_type, version=self.version)
        return self._account

    def fetch(self, limit: int = 500) -> Iterator[Incoming]:
        from exchangelib.folders import Inbox

        inbox = _distinguished(Inbox, self.account())
        count = 0
        try:
            for item in inbox.all().order_by("datetime_received").only("mime_content")[:limit]:
                if isinstance(item, Exception):  # one unreadable item: leave it for the next run
                    continue
                count += 1
                yield Incoming(uid=item.id, raw=bytes(item.mime_content or b""))
        except MailboxUnavailable:
            raise
        except Exception as exc:
            raise MailboxUnavailable(f"EWS went away after {count} messages ({_code(exc)}); nothing was moved, "
                                     "the rest will be fetched next run") from None

    def _folder(self, name: str) -> Any:
        """The target folder under the mailbox root: created on first use; when it exists
        already (a later process), found through exchangelib's folder walk (one-off cost)."""
        from exchangelib.errors import ErrorFolderExists
        from exchangelib.folders import Folder, MsgFolderRoot
        from exchangelib.services import CreateFolder

        if name not in self._folders:
            account = self.account()
            root = _distinguished(MsgFolderRoot, account)
            try:
                folder = CreateFolder(account=account).get(parent_folder=root,
                                                           folders=[Folder(root=root.root, name=name)])
            except ErrorFolderExists:
                folder = next(f for f in account.msg_folder_root.children if f.name == name)
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
