"""Microsoft Graph transport and mailbox (httpx; tokens from msal client credentials).

This is the way to Microsoft 365 / Exchange Online: EWS is blocked by default in Exchange
Online since 1 October 2026 and switched off on 1 April 2027 (use ``ews`` only for
on-premises Exchange Server). The app registration needs the application permissions
``Mail.Send`` and ``Mail.ReadWrite``, ideally limited to the plan mailbox with an
application access policy.

Sending: ``POST /users/{mailbox}/sendMail`` with the complete MIME message, base64, as
``text/plain`` (Graph's MIME send), so the Message-ID we recorded is the one that goes.
sendMail takes at most 4 MB, so a larger message (a board pack) goes as a draft instead:
the MIME message without its largest attachments is created as a draft (``POST
/messages``, MIME again), each attachment taken out is added to it (a ``POST
/attachments`` under 3 MB; above, an upload session: ``createUploadSession`` then ``PUT``
byte ranges of 3,200 KiB, a multiple of the 320 KiB Graph asks for, to the
pre-authenticated ``uploadUrl``), then ``POST /messages/{id}/send``. A draft left half
built by a failure is deleted.
202 → sent; 429/500/502/503/504 or a network error → retry (a ``Retry-After`` is carried
as ``retry-after=N`` for the delivery step to honour); 400/403/404/413 → failed.

Throttling: a 429 or 503 with a ``Retry-After`` of at most ``max_wait`` seconds is waited
out in-process (through the injected ``sleep``) and the request repeated, up to
``tries`` times; a longer one goes back to the delivery step (``retry-after=N``) or, when
reading, ends the run (the rest is read next run).

Receiving: the inbox delta query. The position (the next link after each fully read
page, the delta link at the end of a round) is only *offered* by ``fetch``; the caller
stores it with ``checkpoint(session)`` in the transaction that records the messages read
so far, so a crash never skips a message (and re-reads at most what was not committed;
replies are deduplicated by Message-ID downstream). An expired delta token (410 Gone, or
``syncStateNotFound`` / ``resyncRequired``) restarts with a full read of the inbox:
messages already recorded come back and are recognised by their Message-ID, not
applied twice. Settling moves the message to a ``Processed``/``Quarantine`` folder,
created if missing.
"""

from __future__ import annotations

import base64
import email
import email.utils
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any, Literal
from urllib.parse import quote

import httpx
from sqlalchemy.orm import Session, sessionmaker

from planwarden.core import clock
from planwarden.core.config import GraphSettings
from planwarden.mail.limits import SendingLimits
from planwarden.mail.transport import (Delivery, Incoming, MailboxUnavailable, OutgoingMail,
                                       TransportUnavailable)

log = logging.getLogger(__name__)

OnResult = Callable[[int, Delivery], None]
TokenProvider = Callable[[], str]
Sleeper = Callable[[float], None]
RETRY_STATUS = {429, 500, 502, 503, 504}
THROTTLED = {429, 503}
MAX_MIME_BYTES = 3 * 1024 * 1024  # Graph's 4 MB request limit, after base64
SMALL_ATTACHMENT = 3 * 1024 * 1024  # below this an attachment is one POST; above, an upload session
UPLOAD_CHUNK = 10 * 320 * 1024  # bytes per PUT: a multiple of 320 KiB, under the 4 MB a PUT may carry
RESYNC_CODES = {"syncstatenotfound", "syncstateinvalid", "resyncrequired"}


def msal_token_provider(settings: GraphSettings) -> TokenProvider:
    """Client-credentials tokens (msal caches them until shortly before expiry)."""
    import msal

    from planwarden.mail.credentials import CredentialMissing, credential, source

    if not (settings.tenant_id and settings.client_id):
        raise TransportUnavailable("Microsoft Graph needs mail.graph.tenant_id and mail.graph.client_id")
    try:
        secret = credential(env=settings.client_secret_env, block=settings.client_secret_block,
                            key="mail.graph.client_secret_block")
    except CredentialMissing as exc:
        raise TransportUnavailable(f"Microsoft Graph client secret missing: {exc}") from None
    if not secret:
        raise TransportUnavailable("Microsoft Graph client secret missing: set "
                                   f"{source(settings.client_secret_env, settings.client_secret_block)}")
    app = msal.ConfidentialClientApplication(
        settings.client_id, authority=f"https://login.microsoftonline.com/{settings.tenant_id}",
        client_credential=secret)

    def token() -> str:
        result = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
        if "access_token" not in result:
            first = (str(result.get("error_description") or "").splitlines() or [""])[0]
            raise TransportUnavailable(f"Microsoft Graph token refused: {result.get('error', 'unknown error')}"
                                       f" {first}".strip())
        return str(result["access_token"])

    return token


class _GraphBase:
    def __init__(self, settings: GraphSettings, *, token_provider: TokenProvider | None = None,
                 client: httpx.Client | None = None, sleep: Sleeper = time.sleep, max_wait: float = 60.0,
                 tries: int = 3) -> None:
        if not settings.mailbox:
            raise TransportUnavailable("Microsoft Graph needs mail.graph.mailbox (the plan mailbox's UPN or id)")
        self.settings = settings
        self.base = settings.base_url.rstrip("/")
        self.user = f"{self.base}/users/{quote(settings.mailbox, safe='@')}"
        self._token_provider = token_provider
        self.client = client or httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0))
        self.sleep, self.max_wait, self.tries = sleep, max_wait, max(tries, 1)

    def _headers(self, **extra: str) -> dict[str, str]:
        if self._token_provider is None:
            self._token_provider = msal_token_provider(self.settings)
        return {"Authorization": f"Bearer {self._token_provider()}", **extra}

    def _call(self, method: str, url: str, *, auth: bool = True, headers: dict[str, str] | None = None,
              **kw: Any) -> httpx.Response:
        """One request; a 429/503 whose Retry-After is short is waited out and repeated.

        ``auth=False`` for the pre-authenticated upload URL (a bearer token there is refused).
        """
        for attempt in range(1, self.tries + 1):
            sent = {**(self._headers() if auth else {}), **(headers or {})}
            response = self.client.request(method, url, headers=sent, **kw)
            wait = _retry_after(response) if response.status_code in THROTTLED else None
            if wait is None or wait > self.max_wait or attempt == self.tries:
                return response
            log.info("Microsoft Graph throttled (%s): waiting %s s as asked", response.status_code, wait)
            self.sleep(wait)
        raise AssertionError("unreachable")


class GraphTransport(_GraphBase):
    name = "graph"

    @property
    def limits(self) -> SendingLimits:
        """Exchange Online's per-mailbox limits (``mail.graph.max_*``), kept by the outbox."""
        return SendingLimits(self.settings.max_messages_per_minute, self.settings.max_recipients_per_day)

    def send(self, batch: Sequence[OutgoingMail], on_result: OnResult | None = None) -> list[Delivery]:
        results: list[Delivery] = []
        for mail in batch:
            delivery = self._send_one(mail, nothing_done=not results)
            results.append(delivery)
            if on_result:
                on_result(mail.outbox_id, delivery)
        return results

    def _send_one(self, mail: OutgoingMail, *, nothing_done: bool) -> Delivery:
        try:
            if len(mail.raw) > MAX_MIME_BYTES:
                return self._send_large(mail)
            return _outcome(self._call("POST", f"{self.user}/sendMail", content=base64.b64encode(mail.raw),
                                       headers={"Content-Type": "text/plain"}))
        except httpx.TransportError as exc:
            if nothing_done:
                raise TransportUnavailable(f"cannot reach Microsoft Graph: {type(exc).__name__}") from None
            return Delivery("retry", f"network error: {type(exc).__name__}")

    def _send_large(self, mail: OutgoingMail) -> Delivery:
        """Over sendMail's 4 MB: a MIME draft without its big attachments, those added
        (upload sessions above 3 MB), then ``send``. Partial drafts are deleted."""
        head, files = split_large(mail.raw, MAX_MIME_BYTES)
        if head is None:
            return Delivery("failed", f"message of {len(mail.raw) // 1024} KB: its text alone is over Graph's "
                                      "4 MB limit")
        created = self._call("POST", f"{self.user}/messages", content=base64.b64encode(head),
                             headers={"Content-Type": "text/plain"})
        if created.status_code != 201:
            return _outcome(created)
        draft = f"{self.user}/messages/{quote(created.json()['id'], safe='')}"
        try:
            for name, content_type, content in files:
                problem = self._attach(draft, name, content_type, content)
                if problem is not None:
                    self._discard(draft)
                    return problem
            sent = _outcome(self._call("POST", f"{draft}/send"))
        except httpx.TransportError:
            self._discard(draft)  # if it went after all, the draft is in Sent Items and this is a 404
            raise
        if sent.outcome != "sent":
            self._discard(draft)
        return sent

    def _attach(self, draft: str, name: str, content_type: str, content: bytes) -> Delivery | None:
        """Add one attachment to the draft; a Delivery only when it could not be added."""
        if len(content) < SMALL_ATTACHMENT:
            body = {"@odata.type": "#microsoft.graph.fileAttachment", "name": name, "contentType": content_type,
                    "contentBytes": base64.b64encode(content).decode()}
            added = self._call("POST", f"{draft}/attachments", json=body)
            return None if added.status_code == 201 else _outcome(added)
        item = {"AttachmentItem": {"attachmentType": "file", "name": name, "size": len(content),
                                   "contentType": content_type}}
        session = self._call("POST", f"{draft}/attachments/createUploadSession", json=item)
        if session.status_code != 201:
            return _outcome(session)
        upload_url = session.json()["uploadUrl"]
        for start in range(0, len(content), UPLOAD_CHUNK):
            chunk = content[start:start + UPLOAD_CHUNK]
            put = self._call("PUT", upload_url, auth=False, content=chunk, headers={
                "Content-Type": "application/octet-stream",
                "Content-Range": f"bytes {start}-{start + len(chunk) - 1}/{len(content)}"})
            if put.status_code not in (200, 201):
                return _outcome(put)
        return None if put.status_code == 201 else Delivery("retry", f"upload of {name!r} did not complete")

    def _discard(self, draft: str) -> None:
        try:
            self._call("DELETE", draft)
        except httpx.TransportError:
            log.warning("Microsoft Graph: a half-built draft could not be deleted (it stays in Drafts)")


def split_large(raw: bytes, limit: int) -> tuple[bytes | None, list[tuple[str, str, bytes]]]:
    """The message without its largest attachments, so it fits ``limit``; and those taken out.

    ``None`` when even without every attachment it is too large (a huge body).
    """
    msg = email.message_from_bytes(raw, _class=EmailMessage, policy=SMTP)
    assert isinstance(msg, EmailMessage)
    taken: list[tuple[str, str, bytes]] = []
    parts = sorted(msg.iter_attachments(), key=lambda p: len(p.get_payload() or ""), reverse=True)
    head = raw
    for part in parts:
        if len(head) <= limit:
            break
        content = part.get_payload(decode=True) or b""
        taken.append((part.get_filename() or "attachment", part.get_content_type(), content))
        payload = msg.get_payload()
        assert isinstance(payload, list)
        payload.remove(part)
        head = msg.as_bytes()
    return (head if len(head) <= limit else None), taken


def _outcome(response: httpx.Response) -> Delivery:
    status = response.status_code
    if status == 202:
        return Delivery("sent")
    if status in (200, 201):  # a step that succeeded where the caller wanted another answer
        return Delivery("retry", f"unexpected {status} from Microsoft Graph")
    detail = f"{status} {_graph_error(response)}"
    if status in RETRY_STATUS:
        after = _retry_after(response)
        return Delivery("retry", f"{detail}; retry-after={after}" if after else detail)
    if status == 401:
        return Delivery("retry", f"{detail} (token rejected: check the app registration)")
    return Delivery("failed", detail)


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.isdigit():
        return int(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(int((when - clock.now()).total_seconds()), 0)


def _resync_required(response: httpx.Response) -> bool:
    """Graph's answer to an expired or unknown delta token: start again from scratch."""
    if response.status_code == 410:
        return True
    if response.status_code not in (400, 404):
        return False
    try:
        code = str(response.json().get("error", {}).get("code", ""))
    except (ValueError, AttributeError):
        return False
    return code.lower() in RESYNC_CODES


def _graph_error(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        return f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
    except (ValueError, AttributeError):
        return response.reason_phrase


class GraphMailbox(_GraphBase):
    name = "graph"

    def __init__(self, settings: GraphSettings, *, token_provider: TokenProvider | None = None,
                 client: httpx.Client | None = None, sessions: sessionmaker[Session] | None = None,
                 folder: str = "inbox", processed_folder: str = "Processed",
                 quarantine_folder: str = "Quarantine", sleep: Sleeper = time.sleep, max_wait: float = 60.0) -> None:
        super().__init__(settings, token_provider=token_provider, client=client, sleep=sleep, max_wait=max_wait)
        self.sessions = sessions
        self.folder = folder
        self.targets = {"processed": processed_folder, "quarantine": quarantine_folder}
        self._folder_ids: dict[str, str] = {}
        self._reached: str | None = None  # the position once every message yielded so far is recorded
        self.resynced = False
        self.state_key = f"graph-delta:{settings.mailbox}:{folder}"

    # ------------------------------------------------------------------ delta state

    def delta_link(self) -> str | None:
        """The stored position (next or delta link), or None before the first full round."""
        if self.sessions is None:
            return None
        from planwarden.mail.models import load_state

        with self.sessions.begin() as session:
            return load_state(session, self.state_key)

    def checkpoint(self, session: Session) -> None:
        """Store the position reached, in the caller's transaction: the one that records
        the messages yielded so far, so the link never runs ahead of what is recorded."""
        from planwarden.mail.models import store_state

        if self._reached is not None:
            store_state(session, self.state_key, self._reached)

    # ------------------------------------------------------------------ reading

    def _get(self, url: str, **kw: Any) -> httpx.Response:
        try:
            response = self._call("GET", url, **kw)
        except httpx.TransportError as exc:
            raise MailboxUnavailable(f"Microsoft Graph went away: {type(exc).__name__}; nothing was moved, "
                                     "the rest will be fetched next run") from None
        if response.status_code >= 400 and response.status_code != 404:
            raise MailboxUnavailable(f"Microsoft Graph: {response.status_code} {_graph_error(response)}")
        return response

    def _first_url(self) -> str:
        return f"{self.user}/mailFolders/{self.folder}/messages/delta?$select=id,receivedDateTime,internetMessageId"

    def _page(self, url: str, *, stored: bool) -> dict[str, Any]:
        """One delta page; an expired stored token restarts with a full read of the folder."""
        try:
            response = self._call("GET", url)
        except httpx.TransportError as exc:
            raise MailboxUnavailable(f"Microsoft Graph went away: {type(exc).__name__}; nothing was moved, "
                                     "the rest will be fetched next run") from None
        if stored and _resync_required(response):
            log.warning("Microsoft Graph: the stored delta token for %s has expired (%s); reading the whole "
                        "folder again (replies already recorded are recognised by Message-ID)",
                        self.folder, response.status_code)
            self.resynced = True
            return self._get(self._first_url()).json()
        if response.status_code >= 400:
            raise MailboxUnavailable(f"Microsoft Graph: {response.status_code} {_graph_error(response)}")
        return dict(response.json())

    def fetch(self, limit: int = 500) -> Iterator[Incoming]:
        stored = self.delta_link()
        url: str | None = stored or self._first_url()
        count = 0
        while url:
            page = self._page(url, stored=url == stored)
            entries = [m for m in page.get("value", []) if "@removed" not in m]
            for item in sorted(entries, key=lambda m: m.get("receivedDateTime", "")):
                if count >= limit:
                    return  # the page is not finished: it is read again next run
                raw = self._get(f"{self.user}/messages/{quote(item['id'], safe='')}/$value")
                if raw.status_code == 404:
                    continue  # moved or deleted since the delta was taken
                count += 1
                yield Incoming(uid=item["id"], raw=raw.content)
            url = page.get("@odata.nextLink")
            self._reached = url or page["@odata.deltaLink"]

    # ------------------------------------------------------------------ settling

    def _folder_id(self, name: str) -> str:
        if name not in self._folder_ids:
            escaped = name.replace("'", "''")
            found = self._get(f"{self.user}/mailFolders", params={"$filter": f"displayName eq '{escaped}'"}).json()
            if found.get("value"):
                self._folder_ids[name] = found["value"][0]["id"]
            else:
                created = self._post(f"{self.user}/mailFolders", {"displayName": name})
                if created.status_code not in (200, 201):
                    raise MailboxUnavailable(f"Microsoft Graph cannot create folder {name!r}: "
                                             f"{created.status_code} {_graph_error(created)}")
                self._folder_ids[name] = created.json()["id"]
        return self._folder_ids[name]

    def _post(self, url: str, body: dict[str, Any]) -> httpx.Response:
        try:
            return self._call("POST", url, json=body)
        except httpx.TransportError as exc:
            raise MailboxUnavailable(f"Microsoft Graph went away: {type(exc).__name__}") from None

    def settle(self, uid: str, outcome: Literal["processed", "quarantine"]) -> None:
        if outcome not in self.targets:
            raise ValueError(f"bad settle outcome {outcome!r}")
        folder_id = self._folder_id(self.targets[outcome])
        response = self._post(f"{self.user}/messages/{quote(uid, safe='')}/move", {"destinationId": folder_id})
        if response.status_code == 404:
            return  # moved already (a rerun after a crash between commit and move)
        if response.status_code not in (200, 201):
            raise MailboxUnavailable(f"Microsoft Graph could not move a message: {response.status_code} "
                                     f"{_graph_error(response)}")
