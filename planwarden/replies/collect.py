"""Reading replies from the configured mailbox: ingest each, then settle it.

A message is moved (settled) only after its outcome is committed. If the mailbox goes
away mid-batch, what was committed stays committed and the rest is read next run; if
the process dies between a commit and a move, the message comes back next run and is
recognised by its Message-ID ("ignored: duplicate") and settled then.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from planwarden.core.config import Config
from planwarden.plan.directory import Directory
from planwarden.core.log import redact
from planwarden.mail.transport import Incoming, Mailbox
from planwarden.replies.ingest import IngestResult, ingest_one

log = logging.getLogger(__name__)


@dataclass
class CollectReport:
    results: list[IngestResult] = field(default_factory=list)
    unsettled: list[str] = field(default_factory=list)  # committed, not moved: settled next run
    error: str | None = None

    def counts(self) -> dict[str, int]:
        out = {"applied": 0, "ignored": 0, "quarantined": 0}
        for r in self.results:
            out[r.outcome] = out.get(r.outcome, 0) + 1
        return out

    def summary(self) -> dict[str, Any]:
        return {**self.counts(), "messages": len(self.results), "unsettled": len(self.unsettled),
                "error": self.error}


def mailbox_for(config: Config, plan_key: str | None = None) -> Mailbox:
    """The plan's mailbox (its own ``[plans.mail]``, else the shared one)."""
    from planwarden.mail.factory import mailbox_for as factory

    return factory(config, plan_key)


def collect(sessions: sessionmaker[Session], config: Config, mailbox: Mailbox, *, limit: int = 500,
            batch_size: int = 50, batch_bytes: int = 64 * 1024 * 1024) -> CollectReport:
    """Read up to ``limit`` messages; record each batch in one transaction, then settle it.

    One commit per batch (not per message) is what makes 1,000 messages a matter of
    seconds; each message still has a savepoint of its own, and nothing is moved before
    the commit that records it.
    """
    try:
        return _collect(sessions, config, mailbox, limit, batch_size, batch_bytes)
    finally:
        close = getattr(mailbox, "close", None)  # IMAP/EWS connections; the folder mailbox has none
        if callable(close):
            with contextlib.suppress(Exception):
                close()


def _collect(sessions: sessionmaker[Session], config: Config, mailbox: Mailbox, limit: int, batch_size: int,
             batch_bytes: int) -> CollectReport:
    report = CollectReport()
    directory = Directory(config.directory)
    try:
        iterator = iter(mailbox.fetch(limit))
    except Exception as exc:  # noqa: BLE001 - the server is down: nothing read, nothing lost
        report.error = f"mailbox {mailbox.name} unavailable: {redact(str(exc)) or type(exc).__name__}"
        return report
    while report.error is None:
        batch = _take(iterator, batch_size, batch_bytes, report, mailbox.name)
        if not batch:
            break
        try:
            with sessions.begin() as session:
                results = [ingest_one(session, config, directory, m.raw, f"{mailbox.name}:{m.uid}") for m in batch]
        except OperationalError as exc:
            report.error = f"database unavailable: {type(exc.orig).__name__ if exc.orig else 'error'}"
            break
        for incoming, result in zip(batch, results):
            report.results.append(result)
            if report.unsettled:  # the mailbox failed a move: leave the rest for next run
                report.unsettled.append(incoming.uid)
                continue
            try:
                mailbox.settle(incoming.uid, result.settle_as)
            except Exception as exc:  # noqa: BLE001 - recorded already; moved next run (as a duplicate)
                report.unsettled.append(incoming.uid)
                report.error = f"could not move message {incoming.uid}: {redact(str(exc)) or type(exc).__name__}"
                log.warning("%s", report.error)
    return report


def _take(iterator: Iterator[Incoming], size: int, max_bytes: int, report: CollectReport, name: str) -> list[Incoming]:
    batch: list[Incoming] = []
    total = 0
    while len(batch) < size and total < max_bytes:
        try:
            incoming = next(iterator)
        except StopIteration:
            break
        except Exception as exc:  # noqa: BLE001 - gone mid-batch: record what was read, the rest next run
            report.error = f"mailbox {name} failed mid-batch: {redact(str(exc)) or type(exc).__name__}"
            break
        batch.append(incoming)
        total += len(incoming.raw)
    return batch
