"""One reply in, one outcome recorded: applied, ignored or quarantined.

Everything a message causes happens in one transaction: the inbound record (unique
Message-ID), the original bytes, attachments, applied progress updates with their
history, RAG changes, out-of-office and bounce marks, and the queued confirmation.
The mailbox is settled by the caller only after that commit; a message fetched again
after a crash is found by its Message-ID and is "ignored: duplicate", so nothing is
applied twice and nothing is lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from planwarden.core import clock
from planwarden.core.config import Config
from planwarden.plan.directory import Directory
from planwarden.core.log import redact
from planwarden.replies.message import ParsedMail, parse
from planwarden.replies.models import InboundAttachment, InboundMessage
from planwarden.replies.chain import act, decide
from planwarden.replies.effects import Env
from planwarden.replies.facts import Seen, gather
from planwarden.replies.verdicts import Verdict

log = logging.getLogger(__name__)
SettleAs = Literal["processed", "quarantine"]


@dataclass
class IngestResult:
    message_id: str
    outcome: str
    reason: str
    rule: str = ""
    updates: list[dict[str, Any]] = field(default_factory=list)
    inbound_id: int | None = None
    settle_as: SettleAs = "processed"
    source: str = ""

    def as_json(self) -> dict[str, Any]:
        """The `ingest --json` / `collect --json` shape fixed in PRODUCT.md."""
        return {"message_id": self.message_id, "outcome": self.outcome, "reason": self.reason,
                "updates": [{k: u.get(k) for k in ("ref", "rag", "text", "requested_due")} for u in self.updates]}


def ingest_raw(sessions: sessionmaker[Session], config: Config, raw: bytes, source: str,
               directory: Directory | None = None) -> IngestResult:
    """Decide and record one message in its own transaction. Raises only when the database cannot be used."""
    with sessions.begin() as session:
        return ingest_one(session, config, directory or Directory(config.directory), raw, source)


def ingest_one(session: Session, config: Config, directory: Directory, raw: bytes, source: str) -> IngestResult:
    """Decide and record one message inside the caller's transaction (a savepoint of its own).

    ``collect`` records a batch per transaction this way and settles the batch after the
    commit; a failure in one message rolls back only that message's savepoint.
    """
    mail = parse(raw)
    try:
        with session.begin_nested():
            return _process(session, config, directory, mail, raw, source)
    except OperationalError:
        raise  # the database went away: nothing recorded, the message stays in the mailbox
    except Exception as exc:  # noqa: BLE001 - a message we cannot handle must still not be lost
        row = _seen(session, mail.message_id)
        if row is not None:  # another run recorded this Message-ID between our look-up and insert
            return _duplicate(mail, Seen(row.id, row.outcome, row.reason or "",
                                         row.outcome == "quarantined" and row.resolved_at is None), source)
        if isinstance(exc, IntegrityError):
            log.warning("reply %s: unexpected conflict (%s)", redact(mail.message_id), type(exc.orig).__name__)
        else:
            log.exception("reply %s could not be processed", redact(mail.message_id))
        with session.begin_nested():
            verdict = Verdict("quarantined", "error", f"could not be processed ({type(exc).__name__}); "
                              "kept for the secretary")
            row = _record(session, mail, raw, source, verdict, clock.now())
            return IngestResult(mail.message_id, verdict.outcome, verdict.reason, verdict.rule, [], row.id,
                                "quarantine", source)


def _seen(session: Session, message_id: str) -> InboundMessage | None:
    return session.scalar(select(InboundMessage).where(InboundMessage.message_id == message_id))


def _duplicate(mail: ParsedMail, seen: Seen, source: str) -> IngestResult:
    return IngestResult(mail.message_id, "ignored", f"duplicate: Message-ID already recorded ({seen.outcome})",
                        "duplicate", [], seen.id, "quarantine" if seen.waiting else "processed", source)


def _process(session: Session, config: Config, directory: Directory, mail: ParsedMail, raw: bytes,
             source: str) -> IngestResult:
    now = clock.now()
    facts = gather(session, config, directory, mail, now)
    verdict = decide(mail, facts)
    if verdict.rule == "duplicate" and facts.seen is not None:
        result = _duplicate(mail, facts.seen, source)
        result.reason = verdict.reason
        return result
    row = _record(session, mail, raw, source, verdict, now)
    done = act(Env(session, config, directory, mail, facts), verdict)
    updates = done.updates
    row.updates = updates
    row.plan_key = facts.placement.plan_key or ""
    row.refs = list(dict.fromkeys(facts.placement.refs))
    session.flush()
    log.info("reply %s from %s: %s (%s)", redact(mail.message_id), redact(mail.sender or "-"), verdict.outcome,
             redact(verdict.reason))
    return IngestResult(mail.message_id, verdict.outcome, verdict.reason, verdict.rule, updates, row.id,
                        "quarantine" if verdict.outcome == "quarantined" else "processed", source)


def _record(session: Session, mail: ParsedMail, raw: bytes, source: str, verdict: Verdict,
            now: Any) -> InboundMessage:
    row = InboundMessage(message_id=mail.message_id, synthetic_id=mail.synthetic_id, received_at=now,
                         source=source[:1000], sender=mail.sender[:320], sender_name=mail.sender_name[:500],
                         subject=mail.subject[:2000], sha256=mail.sha256, raw=raw, outcome=verdict.outcome,
                         rule=verdict.rule, reason=verdict.reason, plan_key="", refs=[], updates=[],
                         flags=mail.flags[:20])
    for att in mail.attachments:
        row.attachments.append(InboundAttachment(filename=att.filename, content_type=att.content_type[:255],
                                                 size=att.size, sha256=att.sha256, content=att.data, note=att.note))
    session.add(row)
    session.flush()  # the unique Message-ID is checked here, before any effect
    return row
