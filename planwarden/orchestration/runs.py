"""A record of each scheduled job's runs, so `planwarden status` can say when each last ran.

Prefect keeps its own run history, but the operator's first question ("did this
morning's reminders go?") must be answerable from planwarden's database alone. The
newest run of each job is read by plan/listing.py: last_runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from planwarden.core import clock
from planwarden.core.db import session_scope
from planwarden.plan.models import FlowRun


@contextlib.contextmanager
def recorded_run(database_url: str, plan_key: str, job: str) -> Iterator[dict[str, Any]]:
    """Record the start, then the outcome, of one job run; the body fills in the summary."""
    with session_scope(database_url) as session:
        run = FlowRun(plan_key=plan_key, job=job, started_at=clock.now(), outcome="running", summary={})
        session.add(run)
        session.flush()
        run_id = run.id
    summary: dict[str, Any] = {}
    outcome = "failed"
    try:
        yield summary
        outcome = "ok"
    finally:
        with session_scope(database_url) as session:
            row = session.get(FlowRun, run_id)
            if row is not None:
                row.finished_at, row.outcome, row.summary = clock.now(), outcome, dict(summary)
