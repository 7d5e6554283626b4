"""What was last sent for each calendar event: the memory that makes invitations update
in place instead of piling up as duplicates.

One row per UID. ``sequence``/``fingerprint``/``stamped_at`` describe the event's current
version (raised whenever the config changes it, whether or not anything is sent yet, so
``calendar --out`` twice gives the same bytes); ``sent_*`` describe what attendees last
received, so ``--send`` knows whom to update and whom to cancel.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from planwarden.plan.models import Base, UTCDateTime


class CalendarEvent(Base):
    __tablename__ = "calendar_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True, doc="meeting id, or '<id>/<date>' for an extra date")
    uid: Mapped[str] = mapped_column(String(255), unique=True)
    meeting_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="active", doc="active | cancelled | retired")
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    fingerprint: Mapped[str] = mapped_column(String(64), doc="hash of everything the invitation shows")
    core_fingerprint: Mapped[str] = mapped_column(String(64), doc="the same without the attendees")
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, doc="the current version, as data")
    stamped_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, doc="DTSTAMP: when this version was first seen")
    last_day: Mapped[dt.date | None] = mapped_column(Date, doc="last day it may fall on; NULL: never ends")
    sent_sequence: Mapped[int | None] = mapped_column(Integer)
    sent_core: Mapped[str | None] = mapped_column(String(64))
    sent_attendees: Mapped[list[str]] = mapped_column(JSON, default=list, doc="addresses holding the event")
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    server_id: Mapped[str | None] = mapped_column(Text, doc="Exchange / Graph item id (calendar-items mode)")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
