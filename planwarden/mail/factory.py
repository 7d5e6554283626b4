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

from planwarden.core.config import Config
from planwarden.mail.transport import Mailbox, Transport

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from planwarden.mail.delivery import DeliveryStats


def transport_for(config: Config) -> Transport:
    mail = config.mail
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
    return OutboxFolderTransport(config.mail_dir("outbox"))


def mailbox_for(config: Config, plan_key: str | None = None) -> Mailbox:
    """The mailbox replies are read from: the plan's own ``[plans.mail]`` when it has one."""
    mail = config.mail_for(plan_key)
    if mail.transport == "smtp":
        from planwarden.mail.imap import ImapMailbox
        return ImapMailbox(mail.imap)
    if mail.transport == "ews":
        from planwarden.mail.ews import EwsMailbox
        return EwsMailbox(mail.ews, processed_folder=mail.imap.processed_folder,
                          quarantine_folder=mail.imap.quarantine_folder)
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
    invites alike) to the configured transport, ``batch_size`` per connection."""
    from planwarden.core.db import session_factory
    from planwarden.mail.delivery import deliver_pending

    return deliver_pending(sessions or session_factory(config.database_url), transport or transport_for(config),
                           batch_size=batch_size, limit=limit, max_attempts=config.mail.max_attempts)
