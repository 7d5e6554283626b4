"""Console accounts and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from planwarden.plan.models import Base, UTCDateTime


class User(Base):
    """Someone who may log in. Roles: admin (everything), secretary (their plans), member (read)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(Text, default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(Text, doc="argon2id; none for single sign-on only")
    plans: Mapped[list[str]] = mapped_column(JSON, default=list, doc="plan keys a secretary or member sees; [] = all")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0",
                                                 doc="raised at log out: cookies of an older version no longer open")


class AuditEntry(Base):
    """One write made through the console or the CLI: who, when, what. Append-only."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(64))
    plan_key: Mapped[str] = mapped_column(String(64), default="")
    target: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    channel: Mapped[str] = mapped_column(String(16), default="console", doc="console | cli")
