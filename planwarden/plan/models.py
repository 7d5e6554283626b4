"""The plan store: SQLAlchemy 2.0 models.

Plans hold sections, areas and numbered actions; actions hold owners and dated
progress updates. ``History`` is append-only: every change to an action is a row
(who, when, from what source), which is what lets a past month's pack be rebuilt
exactly as it was.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Text,
                        TypeDecorator, UniqueConstraint, false)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores naive UTC, returns aware UTC: the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return value.replace(tzinfo=dt.timezone.utc) if value is not None else None


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Plan(Base):
    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    partnership: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    update_date: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    rating_scale: Mapped[str] = mapped_column(String(8), default="rag", server_default="rag",
                                              doc="rag | brag: what the ratings mean (planwarden.plan.rag)")

    sections: Mapped[list[Section]] = relationship(back_populates="plan", order_by="Section.position")
    actions: Mapped[list[Action]] = relationship(back_populates="plan", order_by="Action.position")


class Section(Base):
    __tablename__ = "sections"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    plan: Mapped[Plan] = relationship(back_populates="sections")
    areas: Mapped[list[Area]] = relationship(back_populates="section", order_by="Area.position")


class Area(Base):
    __tablename__ = "areas"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text, default="")
    priority_action: Mapped[str] = mapped_column(Text, default="")
    what_needs_to_improve: Mapped[str] = mapped_column(Text, default="")
    what_inspectors_found: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    section: Mapped[Section] = relationship(back_populates="areas")


class Person(Base):
    """A person from the directory, mirrored so owners and mail state can refer to them."""

    __tablename__ = "people"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    failing_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    failing_reason: Mapped[str | None] = mapped_column(Text)
    away_until: Mapped[dt.date | None] = mapped_column(Date)


class OwnerMapping(Base):
    """An owner text the directory could not resolve, mapped by the secretary to directory people.

    Kept per plan so a re-import of the same text resolves it the same way (import and the
    console's corrections read it through ``plan.owners.directory_for``).
    """

    __tablename__ = "owner_mappings"
    __table_args__ = (UniqueConstraint("plan_id", "owner_text"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    owner_text: Mapped[str] = mapped_column(Text, doc="normalised, as the directory compares names")
    people: Mapped[list[str]] = mapped_column(JSON, default=list, doc="directory person ids")
    by: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Action(Base):
    __tablename__ = "actions"
    __table_args__ = (UniqueConstraint("plan_id", "ref"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id", ondelete="SET NULL"))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"))
    ref: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")
    owner_text: Mapped[str] = mapped_column(Text, default="")
    due: Mapped[dt.date | None] = mapped_column(Date)
    due_text: Mapped[str] = mapped_column(Text, default="")
    milestones: Mapped[list[str]] = mapped_column(JSON, default=list)
    rag: Mapped[str | None] = mapped_column(String(8))
    complete: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                           doc="done, apart from the rating (Blue on BRAG); ask rag.is_complete")
    extra: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None,
                                                        doc="the plan's own columns with no field, by header")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    plan: Mapped[Plan] = relationship(back_populates="actions")
    section: Mapped[Section | None] = relationship()
    area: Mapped[Area | None] = relationship()
    owners: Mapped[list[ActionOwner]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="ActionOwner.position")
    updates: Mapped[list[ProgressUpdate]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="(ProgressUpdate.date, ProgressUpdate.id)")


class ActionOwner(Base):
    """An action's resolved owner (a person, or a person reached through a role or group)."""

    __tablename__ = "action_owners"
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    via: Mapped[str] = mapped_column(Text, default="", doc="the role or group name, or the person's own")
    kind: Mapped[str] = mapped_column(String(16), default="person")
    position: Mapped[int] = mapped_column(Integer, default=0)

    action: Mapped[Action] = relationship(back_populates="owners")
    person: Mapped[Person] = relationship()


class ProgressUpdate(Base):
    __tablename__ = "progress_updates"
    __table_args__ = (UniqueConstraint("action_id", "message_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"), index=True)
    date: Mapped[dt.date | None] = mapped_column(Date)
    author: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    rag: Mapped[str | None] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(16), doc="import | email | manual")
    message_id: Mapped[str | None] = mapped_column(String(998))
    requested_due: Mapped[dt.date | None] = mapped_column(Date)
    decision: Mapped[str] = mapped_column(Text, default="", doc="what was done with it: applied, ...")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, doc="taken back (planwarden withdraw)")
    withdrawn_by: Mapped[str | None] = mapped_column(Text)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    action: Mapped[Action] = relationship(back_populates="updates")


class History(Base):
    """Append-only record of every change to an action: never updated, never deleted."""

    __tablename__ = "history"
    __table_args__ = (Index("ix_history_plan_at", "plan_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("actions.id", ondelete="SET NULL"), index=True)
    ref: Mapped[str] = mapped_column(String(32))
    field: Mapped[str] = mapped_column(String(32))
    old: Mapped[Any] = mapped_column(JSON)
    new: Mapped[Any] = mapped_column(JSON)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str] = mapped_column(Text, default="", doc="file name, Message-ID, ...")


class ImportRun(Base):
    __tablename__ = "import_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    unresolved_owners: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class FlowRun(Base):
    """Last runs of each scheduled job, for `planwarden status`."""

    __tablename__ = "flow_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(64), default="")
    job: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(16), default="running")
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OutboxMessage(Base):
    """Every email planwarden sends, queued in the transaction that decided to send it.

    States: queued -> sending -> sent | retry (-> sending ...) | failed. ``dedupe_key``
    is unique, so the same mail cannot be queued twice however often a step runs.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(64), default="")
    kind: Mapped[str] = mapped_column(String(32), doc="reminder | confirmation | notice | pack | invite")
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    sender: Mapped[str] = mapped_column(String(320))
    to: Mapped[list[str]] = mapped_column(JSON, default=list)
    cc: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, doc="[{ref, action_id, kind}]")
    state: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    refused: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    location: Mapped[str | None] = mapped_column(Text, doc="where the transport put it (.eml path)")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, doc="failure told to the secretary")
