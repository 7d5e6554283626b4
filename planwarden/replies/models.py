"""Every inbound message, whatever became of it, and its attachments kept as evidence.

``InboundMessage.message_id`` is unique: it is the idempotency key that makes applying
the same reply twice impossible, however often it is fetched or however two runs
overlap. The original bytes are kept whole, so a quarantined reply can be read, applied
or discarded by the secretary and nothing is ever lost.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planwarden.plan.models import Base, UTCDateTime


class InboundMessage(Base):
    __tablename__ = "inbound_messages"
    __table_args__ = (Index("ix_inbound_messages_outcome_resolved", "outcome", "resolved_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(998), unique=True, doc="the Message-ID, or a synthetic one")
    synthetic_id: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(Text, default="", doc="file path or mailbox:uid")
    sender: Mapped[str] = mapped_column(String(320), default="")
    sender_name: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    outcome: Mapped[str] = mapped_column(String(16), doc="applied | ignored | quarantined")
    rule: Mapped[str] = mapped_column(String(32), default="", doc="the rule that decided")
    reason: Mapped[str] = mapped_column(Text, default="")
    plan_key: Mapped[str] = mapped_column(String(64), default="")
    refs: Mapped[list[str]] = mapped_column(JSON, default=list)
    updates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(Text, doc="applied to …, discarded: …")
    resolved_by: Mapped[str | None] = mapped_column(Text)

    attachments: Mapped[list[InboundAttachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", order_by="InboundAttachment.id")


class InboundAttachment(Base):
    """One attachment: its content when under the size limit, else only what it was."""

    __tablename__ = "inbound_attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inbound_id: Mapped[int] = mapped_column(ForeignKey("inbound_messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(Text, default="")
    content_type: Mapped[str] = mapped_column(String(255), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(Text, default="")

    message: Mapped[InboundMessage] = relationship(back_populates="attachments")
