"""The reminder log: every reminder sent, one row per (action, stage, due date, occurrence).

The unique key is what makes "never the same reminder twice" hold across runs, after
a crash and when two runs overlap: the row is written in the same transaction as the
outbox message that carries it, and a second writer of the same key fails and rolls
back its whole transaction (its outbox rows with it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from planwarden.plan.models import Base, UTCDateTime


class ReminderLog(Base):
    __tablename__ = "reminder_log"
    __table_args__ = (
        UniqueConstraint("action_id", "stage", "due_key", "occurrence", name="uq_reminder_log_key"),
        Index("ix_reminder_log_plan_sent", "plan_key", "sent_on"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(64))
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(32))
    stage: Mapped[str] = mapped_column(String(32), doc="ahead-14 | ahead-3 | due | overdue | no-due-date")
    kind: Mapped[str] = mapped_column(String(16), doc="ahead | due | overdue | escalation | no-due-date")
    due: Mapped[dt.date | None] = mapped_column(Date)
    due_key: Mapped[str] = mapped_column(String(10), doc="the due date (ISO) or 'none': NULLs are never equal")
    occurrence: Mapped[int] = mapped_column(Integer, doc="overdue: 1, 2, ...; no-due-date: yyyymm; else 0")
    sent_on: Mapped[dt.date] = mapped_column(Date, doc="the run's local date in the plan's time zone")
    message_ids: Mapped[list[str]] = mapped_column(JSON, default=list, doc="outbox Message-IDs carrying it")
    recipients: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
