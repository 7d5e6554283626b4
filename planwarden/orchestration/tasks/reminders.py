"""Prefect tasks for the daily reminders. The logic is in planwarden.reminders.run.

Tasks work in batches — one task computes and records a whole plan, one delivers the
outbox in batches — never one task per action (see benchmarks/bench_remind.py for what
that would cost). Both are safe to retry: recording is idempotent (unique keys), and
delivery claims rows before sending.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import task



@task(retries=2, retry_delay_seconds=[60, 300], name="reminders-compute-and-record")
def compute_and_record(plan_key: str, today: str | None = None) -> dict[str, Any]:
    """Decide today's reminders for one plan, then log and queue them in one transaction."""
    from planwarden.core.config import load_config
    from planwarden.reminders.run import run_reminders

    config = load_config()
    day = dt.date.fromisoformat(today) if today else None
    runs = run_reminders(config, plan_key=plan_key, today=day, deliver_mail=False)
    run = runs[0]
    return {"plan": plan_key, "today": run.today.isoformat(), "working_day": run.working_day,
            "reminders": len(run.reminders), "messages": len(run.messages), "overlaps": run.conflicts,
            "items": sorted({(i["ref"], i["kind"]) for m in run.messages for i in m.items})}
