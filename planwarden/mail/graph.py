"""Microsoft Graph transport and mailbox (httpx; tokens from msal client credentials).

This is the way to Microsoft 365 / Exchange Online: EWS is blocked by default in Exchange
Online since 1 October 2026 and switched off on 1 April 2027 (use ``ews`` only for
on-premises Exchange Server). The app registration needs the application permissions
``Mail.Send`` and ``Mail.ReadWrite``, ideally limited to the plan mailbox with an
application access policy.

Sending: ``POST /users/{mailbox}/sendMail`` with the complete MIME message, base64, as
``text/plain`` (Graph's MIME send), so the Message-ID we recorded is the one that goes.
202 → sent; 429/500/502/503/504 or a network error → retry (a ``Retry-After`` is carried
as ``retry-after=N`` for the delivery step to honour); 400/403/404/413 → failed.

Receiving: the inbox delta query; the next link is persisted after each page is fully
consumed and the delta link when the round is complete, in ``mail_state``, so a crash
re-reads at most one page (replies are deduplicated by Message-ID downstream).
Settling moves the message to a ``Processed``/``Quarantine`` folder, created if missing.
"""

from __future__ import annotations

import base64
import email.utils
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal
from urllib.parse import quote

import httpx
from sqlalchemy.orm import Session, sessionmaker

from planwarden.core import clock
from planwarden.core.config import GraphSettings
from planwarden.mail.transport import (Delivery, Incoming, MailboxUnavailable, OutgoingMail,
                                       TransportUnavailable)

OnResult = Callable[[int, Delivery], None]
TokenProvider = Callable[[], str]
RETRY_STATUS = {429, 500, 502, 503, 504}
MAX_MIME_BYTES = 3 * 1024 * 1024  # Graph's 4 MB request limit, after base64


def msal_token_provider(settings: GraphSettings) -> TokenProvider:
    """Client-credentials tokens (msal caches them until shortly before expiry)."""
    import os

    import msal

    if not (settings.tenant_id and settings.client_id):
        raise TransportUnavailable("Microsoft Graph needs mail.graph.tenant_id and mail.graph.client_id")
    secret = os.environ.get(settings.client_secret_env)
    if not secret:
        raise TransportUnavailable(f"Microsoft Graph client secret missing: set {settings.client_secret_env}")
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
                 client: httpx.Client | None = None) -> None:
        if not settings.mailbox:
            raise TransportUnavailable("Microsoft Graph needs mail.graph.mailbox (the plan mailbox's UPN or id)")
        self.settings = settings
        self.base = settings.base_url.rstrip("/")
        self.user = f"{self.base}/users/{quote(settings.mailbox, safe='@')}"
        self._token_provider = token_provider
        self.client = client or httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0))

    def _headers(self, **extra: str) -> dict[str, str]:
        if self._token_provider is None:
            self._token_provider = msal_token_provider(self.settings)
        return {"Authorization": f"Bearer {self._token_provider()}", **extra}


class GraphTransport(_GraphBase):
    name = "graph"

    def send(self, batch: Sequence[OutgoingMail], on_result: OnResult | None = None) -> list[Delivery]:
        results: list[Delivery] = []
        for mail in batch:
            delivery = self._send_one(mail, nothing_done=not results)
            results.append(delivery)
            if on_result:
                on_result(mail.outbox_id, delivery)
        return results

    def _send_one(self, mail: OutgoingMail, *, nothing_done: bool) -> Delivery:
        if len(mail.raw) > MAX_MIME_BYTES:
            return Delivery("failed", f"message of {len(mail.raw) // 1024} KB is over Graph's 4 MB sendMail limit")
        try:
            response = self.client.post(f"{self.user}/sendMail", content=base64.b64encode(mail.raw),
                                        headers=self._headers(**{"Content-Type": "text/plain"}))
        except httpx.TransportError as exc:
            if nothing_done:
                raise TransportUnavailable(f"cannot reach Microsoft Graph: {type(exc).__name__}") from None
            return Delivery("retry", f"network error: {type(exc).__name__}")
        return _outcome(response)


def _outcome(response: httpx.Response) -> Delivery:
    status = response.status_code
    if status == 202:
        return Delivery("sent")
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
                 quarantine_folder: str = "Quarantine") -> None:
        super().__init__(settings, token_provider=token_provider, client=client)
        self.sessions = sessions
        self.folder = folder
        self.targets = {"processed": processed_folder, "quarantine": quarantine_folder}
        self._folder_ids: dict[str, str] = {}
        self._memory_state: str | None = None
        self.state_key = f"graph-delta:{settings.mailbox}:{folder}"

    # ------------------------------------------------------------------ delta state

    def delta_link(self) -> str | None:
        if self.sessions is None:
            return self._memory_state
        from planwarden.mail.models import MailState

        with self.sessions.begin() as session:
            row = session.get(MailState, self.state_key)
            return row.value if row else None

    def _save(self, link: str) -> None:
        if self.sessions is None:
            self._memory_state = link
            return
        from planwarden.mail.models import MailState

        with self.sessions.begin() as session:
            row = session.get(MailState, self.state_key)
            if row is None:
                session.add(MailState(key=self.state_key, value=link, updated_at=clock.now()))
            else:
                row.value, row.updated_at = link, clock.now()

    # ------------------------------------------------------------------ reading

    def _get(self, url: str, **kw: Any) -> httpx.Response:
        try:
            response = self.client.get(url, headers=self._headers(), **kw)
        except httpx.TransportError as exc:
            raise MailboxUnavailable(f"Microsoft Graph went away: {type(exc).__name__}; nothing was moved, "
                                     "the rest will be fetched next run") from None
        if response.status_code >= 400 and response.status_code != 404:
            raise MailboxUnavailable(f"Microsoft Graph: {response.status_code} {_graph_error(response)}")
        return response

    def fetch(self, limit: int = 500) -> Iterator[Incoming]:
        url: str | None = self.delta_link() or (
            f"{self.user}/mailFolders/{self.folder}/messages/delta?$select=id,receivedDateTime,internetMessageId")
        count = 0
        while url:
            page = self._get(url).json()
            entries = [m for m in page.get("value", []) if "@removed" not in m]
            for item in sorted(entries, key=lambda m: m.get("receivedDateTime", "")):
                if count >= limit:
                    return  # the page is not finished: it is read again next run
                raw = self._get(f"{self.user}/messages/{quote(item['id'], safe='')}/$value")
                if raw.status_code == 404:
                    continue  # moved or deleted since the delta was taken
                count += 1
                yield Incoming(uid=item["id"], raw=raw.content)
            next_url = page.get("@odata.nextLink")
            self._save(next_url or page["@odata.deltaLink"])
            url = next_url

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
            return self.client.post(url, json=body, headers=self._headers())
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
