"""Shared set-up for the replies tests: the jtai example config, a seeded store, fixtures."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from planwarden.core.config import Config, load_config
from planwarden.core.db import session_factory
from planwarden.plan.models import Action, OutboxMessage, ProgressUpdate
from planwarden.replies.ingest import IngestResult, ingest_raw
from replies_seed import seed

DATA = Path(__file__).parent / "data" / "replies"


def eml(name: str) -> bytes:
    return (DATA / name).read_bytes()


@dataclass
class Env:
    config: Config
    sessions: sessionmaker[Session]
    ids: dict[str, int]

    def ingest(self, raw: bytes, source: str = "test") -> IngestResult:
        return ingest_raw(self.sessions, self.config, raw, source)

    def action(self, ref: str) -> Action:
        with self.sessions() as s:
            a = s.scalar(select(Action).where(Action.ref == ref))
            assert a is not None
            s.expunge(a)
            return a

    def updates(self, ref: str) -> list[ProgressUpdate]:
        with self.sessions() as s:
            rows = list(s.scalars(select(ProgressUpdate).where(ProgressUpdate.action_id == self.ids[ref])
                                  .order_by(ProgressUpdate.id)))
            for r in rows:
                s.expunge(r)
            return rows

    def outbox(self, kind: str) -> list[OutboxMessage]:
        with self.sessions() as s:
            rows = list(s.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))
            for r in rows:
                s.expunge(r)
            return rows


def make_env() -> Env:
    config = load_config()
    sessions = session_factory(config.database_url)
    with sessions.begin() as s:
        ids = seed(s, config)
    return Env(config, sessions, ids)


def reply(body: str, *, sender: str = "claire.littlewood@example.org", name: str = "Claire Littlewood",
          message_id: str = "<r-1@example.org>", in_reply_to: str | None = "<reminder-claire-11a@jtai-plan.example.org>",
          subject: str = "RE: Reminder", headers: dict[str, str] | None = None, html: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>"
    msg["To"] = "jtai-plan@example.org"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg.as_bytes()
