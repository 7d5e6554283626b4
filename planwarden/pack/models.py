"""Stored board packs: one row per distinct pack built, pointing at its immutable files.

A pack is a record of what the board was given. Keeping the content hash and the
exact cut-off moment lets anyone rebuild a past pack and check it is identical.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from planwarden.plan.models import Base, UTCDateTime


class PackSnapshot(Base):
    """A built pack. ``meeting_id`` is "" for packs built on demand (no meeting)."""

    __tablename__ = "pack_snapshots"
    __table_args__ = (UniqueConstraint("plan_key", "as_of", "meeting_id", "sha256",
                                       name="uq_pack_snapshots_content"),
                      Index("ix_pack_snapshots_plan_as_of", "plan_key", "as_of"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[dt.date] = mapped_column(Date)
    cutoff: Mapped[dt.datetime] = mapped_column(UTCDateTime, doc="the recorded state read was up to this moment")
    month: Mapped[str] = mapped_column(String(7), doc="YYYY-MM of as_of")
    meeting_id: Mapped[str] = mapped_column(String(128), default="")
    meeting_date: Mapped[dt.date | None] = mapped_column(Date)
    sha256: Mapped[str] = mapped_column(String(64), doc="over the PDF and DOCX bytes")
    files: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, doc="{'pdf': path, 'docx': path}")
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, doc="when its email was queued")
