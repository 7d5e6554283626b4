"""The scheduled job: build and send each board meeting's pack on its build day, once.

Runs daily. For every board meeting (of this plan) whose build day — the configured
number of working days before it — has come and which is still ahead, it builds the
pack as of today and queues it for the secretary. The outbox dedupe key (plan +
meeting occurrence) makes a second run, or two runs at once, send nothing more.
Rendering takes seconds, so it happens between two short transactions.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy.exc import IntegrityError

from planwarden.core import clock
from planwarden.core.config import Config, PlanConfig
from planwarden.core.db import session_scope
from planwarden.mail.outbox import already_queued
from planwarden.pack import build as pack_build
from planwarden.pack import deliver, schedule
from planwarden.pack.state import PackError

log = logging.getLogger(__name__)


def run_board_packs(config: Config, plan_key: str, today: dt.date | None = None) -> list[dict[str, Any]]:
    """Build and queue every pack due today for one plan; returns what was done for each meeting."""
    plan_cfg = config.plan(plan_key)
    today = today or clock.today(plan_cfg.timezone)
    return [_one(config, plan_key, due, today) for due in schedule.due_packs(config, plan_cfg, today)]


def _one(config: Config, plan_key: str, due: schedule.DuePack, today: dt.date) -> dict[str, Any]:
    key = f"pack:{plan_key}:{due.dedupe_key}"
    result: dict[str, Any] = {"meeting": due.meeting_id, "meeting_date": due.occurrence.day.isoformat(),
                              "build_day": due.build_day.isoformat(), "dedupe_key": key}
    plan_cfg = config.plan(plan_key)
    try:
        with session_scope(config.database_url) as session:
            if already_queued(session, key):
                return {**result, "outcome": "already-sent"}
            request = pack_build.request_for(
                session, config, plan_key, today, meeting=due.occurrence,
                previous=schedule.previous_pack_day(config, plan_cfg, due.occurrence),
                period_end=_next_meeting(config, plan_cfg, due))
            data = pack_build.prepare(session, config, request)
        pdf, docx, annex = pack_build.render_all(data)
        with session_scope(config.database_url) as session:
            built = pack_build.store(session, config, request, data, pdf, docx, annex=annex)
            sent = deliver.send(session, config, built, due.dedupe_key)
            return {**result, "outcome": "sent" if sent.queued else "already-sent", "sha256": built.snapshot.sha256,
                    "pdf": str(built.pdf), "to": list(sent.to), "attached": sent.attached}
    except IntegrityError:  # another run queued it between our check and our insert
        return {**result, "outcome": "already-sent"}
    except PackError as exc:
        log.warning("pack for %s %s not built: %s", plan_key, due.meeting_id, exc)
        return {**result, "outcome": "error", "error": str(exc)}


def _next_meeting(config: Config, plan_cfg: PlanConfig, due: schedule.DuePack) -> dt.date | None:
    """The period a pack looks ahead to: until this board's next meeting."""
    occ = due.occurrence
    later = [o for o in schedule.board_meetings(config, plan_cfg, occ.day + dt.timedelta(days=1),
                                                occ.day + dt.timedelta(days=120))
             if o.meeting.id == occ.meeting.id]
    return later[0].day if later else None

