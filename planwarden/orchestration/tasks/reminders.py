"""Prefect tasks for the daily reminders. The logic is in planwarden.reminders.run.

Tasks work in batches — one task computes and records a whole plan, one delivers the
outbox in batches — never one task per action (see benchmarks/bench_remind.py for what
that would cost). Both are safe to retry: recording is idempotent (unique keys), and
delivery claims rows before sending.
"""

from __future__ import annotations

import datetime as dt

from prefect import task

from planwarden.orchestration.results import RemindersRecorded


@task(retries=2, retry_delay_seconds=[60, 300], name="reminders-compute-and-record")
def compute_and_record(plan_key: str, today: str | None = None) -> RemindersRecorded:
    """Decide today's reminders for one plan, then log and queue them in one transaction."""
    from planwarden.orchestration.flowrun import flow_config
    from planwarden.reminders.run import run_reminders

    day = dt.date.fromisoformat(today) if today else None
    run = run_reminders(flow_config(), plan_key=plan_key, today=day, deliver_mail=False)[0]
    return RemindersRecorded(plan_key, run.today.isoformat(), run.working_day, len(run.reminders),
                             len(run.messages), run.conflicts,
                             sorted({(i["ref"], i["kind"]) for m in run.messages for i in m.items}))
