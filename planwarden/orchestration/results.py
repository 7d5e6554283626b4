"""What each Prefect task returns: typed records, not loose dictionaries, so a flow
reads ``result.messages`` and a typo fails at once rather than as a missing key."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Delivered:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    unavailable: str | None = None


@dataclass(frozen=True)
class RemindersRecorded:
    plan: str
    today: str
    working_day: bool
    reminders: int
    messages: int
    overlaps: int
    items: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class PackOutcome:
    meeting: str
    meeting_date: str
    outcome: str  # sent | already-sent | error
    sha256: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Collected:
    applied: int
    ignored: int
    quarantined: int
    messages: int
    unsettled: int
    error: str | None = None


@dataclass(frozen=True)
class CalendarSynced:
    events: int
    sent: list[dict[str, Any]]  # the invitations queued (uid, method, recipients)
    warnings: list[str]
    owners: int


def as_json(result: Any) -> Any:
    """A result (or list of results) as plain JSON for the run record."""
    if isinstance(result, list):
        return [as_json(r) for r in result]
    return asdict(result) if result is not None else None
