"""The interfaces every transport (sending) and mailbox (receiving) implements.

Four implementations, chosen in config: outbox folder, SMTP/IMAP, Exchange Web
Services, Microsoft Graph. Keep adapters thin: they move bytes; policy lives elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

Outcome = Literal["sent", "retry", "failed"]


@dataclass(frozen=True)
class OutgoingMail:
    """One queued message as the transport sees it."""

    outbox_id: int
    message_id: str
    sender: str
    recipients: tuple[str, ...]  # envelope recipients: To + Cc (+ Bcc)
    raw: bytes  # the complete RFC 5322 message


@dataclass
class Delivery:
    """What happened to one message.

    ``retry``: transient (4xx, network); ``failed``: permanent (5xx, bad address).
    ``refused`` lists recipients refused permanently while others were accepted.
    ``location`` is where the transport put it (the .eml path for the outbox folder).
    """

    outcome: Outcome
    detail: str = ""
    refused: dict[str, str] = field(default_factory=dict)
    location: str | None = None


class Transport(Protocol):
    name: str

    def send(self, batch: Sequence[OutgoingMail]) -> list[Delivery]:
        """Deliver a batch over one connection; one Delivery per message, in order.

        Must not raise for per-message problems; may raise ``TransportUnavailable``
        when nothing could be attempted (server down), leaving every message queued.
        """
        ...


class TransportUnavailable(Exception):
    """The mail service could not be reached at all: nothing was sent, try later."""


@dataclass(frozen=True)
class Incoming:
    uid: str  # the mailbox's id for the message (IMAP UID, file name, EWS item id, Graph id)
    raw: bytes


class Mailbox(Protocol):
    name: str

    def fetch(self, limit: int = 500) -> Iterator[Incoming]:
        """Unprocessed messages, oldest first."""
        ...

    def settle(self, uid: str, outcome: Literal["processed", "quarantine"]) -> None:
        """Move a message out of the way. Called only after the database commit."""
        ...


class MailboxUnavailable(TransportUnavailable):
    """The mailbox could not be read (server down, or it went away mid-batch). Messages
    already yielded are intact; nothing was moved; the next run fetches the rest."""
