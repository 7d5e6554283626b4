"""Mail-side state that must survive restarts: e.g. the Graph inbox delta link.

A row per key, so a mailbox resumes exactly where the last fully processed page ended.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from planwarden.plan.models import Base, UTCDateTime


class MailState(Base):
    __tablename__ = "mail_state"
    key: Mapped[str] = mapped_column(String(255), primary_key=True, doc="e.g. graph-delta:<mailbox>:inbox")
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
