"""Which board meetings already have their pack: the note their invitation gains.

The pack feature (``planwarden/pack``) records each pack it builds in ``pack_snapshots``
with the meeting id and the occurrence date it was built for. This module reads that
table with plain SQL and tolerates its absence (the pack feature not installed, or not
migrated yet), so the calendar never depends on the pack feature's code.
"""

from __future__ import annotations

import datetime as dt
from pathlib import PurePath
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

TABLE = "pack_snapshots"


def pack_notes(session: Session) -> dict[tuple[str, dt.date], str]:
    """{(meeting id, occurrence date): note}: the newest pack built for each occurrence."""
    try:
        if TABLE not in inspect(session.connection()).get_table_names():
            return {}
        rows = session.execute(text(
            f"SELECT meeting_id, meeting_date, files, created_at FROM {TABLE} "
            "WHERE meeting_date IS NOT NULL ORDER BY created_at, id")).all()
    except SQLAlchemyError:
        return {}
    notes: dict[tuple[str, dt.date], str] = {}
    for meeting_id, day, files, created in rows:
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10])
        notes[(meeting_id, day)] = _note(files, created)
    return notes


def _note(files: Any, created: Any) -> str:
    if isinstance(files, str):
        import json
        try:
            files = json.loads(files)
        except ValueError:
            files = {}
    names = sorted(PurePath(str(p)).name for p in (files or {}).values()) if isinstance(files, dict) else []
    built = created if isinstance(created, dt.datetime) else None
    when = f" on {built:%-d %B %Y}" if built else ""
    listing = f" ({', '.join(names)})" if names else ""
    return f"Board pack: built{when} and sent to the secretary{listing}."
