"""The configured transport and mailbox (``mail.transport`` in the settings file).

| transport | sends with | reads replies from |
|---|---|---|
| outbox (default) | ``.eml`` files in ``mail_dir("outbox")`` | ``*.eml`` in ``mail_dir("inbox")`` |
| smtp | SMTP (``mail.smtp``) | IMAP (``mail.imap``) |
| ews | Exchange Web Services — on-premises Exchange Server only | the same mailbox |
| graph | Microsoft Graph — Microsoft 365 / Exchange Online | the same mailbox |
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from planwarden.core.config import Config, MailSettings
from planwarden.mail.limits import SendingLimits
from planwarden.mail.transport import Mailbox, Transport

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from planwarden.mail.delivery import DeliveryStats


def transport_for(config: Config, plan_key: str | None = None) -> Transport:
    """The transport that sends the plan's mail: its own ``[plans.mail]`` when it has one
    (a partnership's own sender, server and credentials), else the shared ``[mail]``."""
    mail = config.mail_for(plan_key)
    if mail.transport == "smtp":
        from planwarden.mail.smtp import SmtpTransport
        return SmtpTransport(mail.smtp)
    if mail.transport == "ews":
        from planwarden.mail.ews import EwsTransport
        return EwsTransport(mail.ews)
    if mail.transport == "graph":
        from planwarden.mail.graph import GraphTransport
        return GraphTransport(mail.graph)
    from planwarden.mail.outbox_folder import OutboxFolderTransport
    return OutboxFolderTransport(config.mail_dir("outbox", mail))


def mailbox_for(config: Config, plan_key: str | None = None) -> Mailbox:
    """The mailbox replies are read from: the plan's own ``[plans.mail]`` when it has one."""
    mail = config.mail_for(plan_key)
    if mail.transport == "smtp":
        from planwarden.core.db import session_factory
        from planwarden.mail.imap import ImapMailbox
        return ImapMailbox(mail.imap, sessions=session_factory(config.database_url))
    if mail.transport == "ews":
        from planwarden.core.db import session_factory
        from planwarden.mail.ews import EwsMailbox
        return EwsMailbox(mail.ews, processed_folder=mail.imap.processed_folder,
                          quarantine_folder=mail.imap.quarantine_folder, sessions=session_factory(config.database_url))
    if mail.transport == "graph":
        from planwarden.core.db import session_factory
        from planwarden.mail.graph import GraphMailbox
        return GraphMailbox(mail.graph, sessions=session_factory(config.database_url),
                            processed_folder=mail.imap.processed_folder, quarantine_folder=mail.imap.quarantine_folder)
    from planwarden.mail.outbox_folder import FolderMailbox
    return FolderMailbox(config.mail_dir("inbox", mail))


def deliver_queued(config: Config, *, batch_size: int = 200, limit: int | None = None,
                   transport: Transport | None = None,
                   sessions: "sessionmaker[Session] | None" = None) -> DeliveryStats:
    """The one delivery step: hand everything queued (reminders, confirmations, packs,
    invites alike) to its transport, ``batch_size`` per connection. Each plan with its own
    ``[plans.mail]`` sends through it and only it; everything else through ``[mail]``.
    A ``transport`` given by the caller sends everything."""
    from planwarden.core.db import session_factory
    from planwarden.mail.delivery import DeliveryStats, PlanFilter, deliver_pending

    sessions = sessions or session_factory(config.database_url)
    if transport is not None:
        return deliver_pending(sessions, transport, batch_size=batch_size, limit=limit,
                               max_attempts=config.mail.max_attempts, limits=sending_limits(config.mail))
    own = [p.key for p in config.settings.plans if p.mail is not None]
    runs = [(transport_for(config, key), PlanFilter(only=[key]), config.mail_for(key)) for key in own]
    runs.append((transport_for(config), PlanFilter(but=own), config.mail))
    total = DeliveryStats()
    for plan_transport, plans, mail in runs:
        left = None if limit is None else limit - len(total.results) - total.deferred
        if left is not None and left <= 0:
            break
        _add(total, deliver_pending(sessions, plan_transport, batch_size=batch_size, limit=left,
                                    max_attempts=mail.max_attempts, limits=sending_limits(mail), plans=plans))
    return total


def _add(total: "DeliveryStats", part: "DeliveryStats") -> None:
    total.sent += part.sent
    total.retried += part.retried
    total.failed += part.failed
    total.deferred += part.deferred
    total.held += part.held
    total.results.update(part.results)
    total.unavailable = total.unavailable or part.unavailable


def sending_limits(mail: MailSettings) -> SendingLimits | None:
    """The configured transport's per-mailbox limits (``mail.<transport>.max_*``)."""
    settings = {"smtp": mail.smtp, "ews": mail.ews, "graph": mail.graph}.get(mail.transport)
    if settings is None:
        return None
    return SendingLimits(settings.max_messages_per_minute, settings.max_recipients_per_day)
