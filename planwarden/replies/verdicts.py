"""The words rules, chain and effects share: what a rule decided and what it asks to be done.

Rules return a ``Verdict``; a verdict may carry one effect *request* (a small frozen
dataclass naming what should happen). The chain turns the request into the effect and
the effect returns what it did. Nothing here touches the database, so rules depend on
this module and never on the effects (Mailman's rules/chains split).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["applied", "ignored", "quarantined"]


@dataclass(frozen=True)
class ApplyUpdates:
    """Record the placed updates (progress update, rating, history) and confirm to the sender."""

    notes: tuple[str, ...] = ()  # told to the owner in the confirmation (past date, copied example …)
    skip_refs: tuple[str, ...] = ()  # pieces that are repeats: recorded as such, not applied


@dataclass(frozen=True)
class NoteAway:
    """The sender is away until the day before ``back``: reminders go to their deputy."""

    back: dt.date


@dataclass(frozen=True)
class MarkFailing:
    """Delivery to these addresses failed for good: mark them and tell the secretary."""

    failed: tuple[tuple[str, str], ...]  # (address, why)


EffectRequest = ApplyUpdates | NoteAway | MarkFailing


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    rule: str
    reason: str
    effect: EffectRequest | None = None


@dataclass
class Done:
    """What an effect did: the updates it recorded and the mail it queued."""

    updates: list[dict[str, object]] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)  # outbox dedupe keys
    marked: list[str] = field(default_factory=list)  # people (addresses) marked away or failing
