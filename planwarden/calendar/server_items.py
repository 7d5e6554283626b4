"""``invites = "calendar-items"``: the same state machine, applied through Exchange or
Microsoft 365 calendar items instead of iTIP email (the server then sends and tracks).

A REQUEST for an event the server does not hold yet creates it; any other REQUEST, or a
CANCEL to removed attendees, saves the item (the server updates and cancels attendees
itself); a CANCEL of the whole event cancels the item. The item id is stored on the
state row in the same transaction, so a retry updates instead of creating again (and
Graph's transactionId = UID covers a create whose response was lost).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy.orm import Session

from planwarden.calendar.events import CalendarError, PlannedEvent, organiser_of
from planwarden.calendar.sync import Invitation, Observed, mark_sent
from planwarden.core.config import Config


class CalendarItems(Protocol):
    def create(self, event: PlannedEvent) -> str: ...
    def update(self, item_id: str, event: PlannedEvent) -> Any: ...
    def cancel(self, item_id: str) -> None: ...


def push_items(session: Session, config: Config, observed: Observed, todo: Sequence[Invitation],
               items: CalendarItems | None = None) -> list[dict[str, Any]]:
    items = items or adapter_for(config)
    by_uid = {r.uid: r for r in observed.rows.values()}
    done: list[dict[str, Any]] = []
    handled: set[str] = set()
    for inv in todo:
        if inv.uid in handled:
            continue
        handled.add(inv.uid)
        row = by_uid[inv.uid]
        if inv.method == "CANCEL" and inv.reason == "cancelled":
            if row.server_id:
                items.cancel(row.server_id)
            action = "cancel"
        elif row.server_id:
            updated = items.update(row.server_id, inv.event)
            row.server_id = updated if isinstance(updated, str) else row.server_id
            action = "update"
        else:
            row.server_id = items.create(inv.event)
            action = "create"
        done.append({"uid": inv.uid, "sequence": inv.sequence, "action": action})
    mark_sent(observed.rows, todo)
    return done


def adapter_for(config: Config) -> CalendarItems:
    """The Graph or EWS adapter on the organiser's mailbox, with credentials from the environment."""
    organiser = organiser_of(config)
    mailbox = organiser.email if organiser else config.mail.from_address
    if config.mail.transport == "graph":
        from planwarden.calendar.graph_items import GraphCalendar
        g = config.mail.graph
        return GraphCalendar(mailbox, _graph_token(g.tenant_id, g.client_id, g.client_secret_env),
                             base_url=g.base_url)
    if config.mail.transport == "ews":
        from exchangelib import DELEGATE, Account, Configuration, Credentials

        from planwarden.calendar.ews_items import EwsCalendar
        e = config.mail.ews
        creds = Credentials(os.environ.get(e.username_env, ""), os.environ.get(e.password_env, ""))
        cfg = Configuration(server=e.server, service_endpoint=e.service_endpoint, credentials=creds)
        return EwsCalendar(Account(mailbox, config=cfg, autodiscover=False, access_type=DELEGATE))
    raise CalendarError('governance.toml: invites = "calendar-items" needs mail.transport "ews" or "graph" '
                        f'(it is {config.mail.transport!r})')


def _graph_token(tenant: str | None, client_id: str | None, secret_env: str) -> Any:
    def token() -> str:
        import msal
        app = msal.ConfidentialClientApplication(client_id, authority=f"https://login.microsoftonline.com/{tenant}",
                                                 client_credential=os.environ.get(secret_env, ""))
        result = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
        if "access_token" not in result:
            raise PermissionError(f"Graph token refused: {result.get('error', 'unknown error')}")
        return str(result["access_token"])
    return token
