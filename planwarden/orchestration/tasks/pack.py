"""Prefect tasks for the board pack. The logic is in planwarden.pack.run.

One task builds and queues every pack due today for a plan (a batch: never one task
per action); one delivers the outbox. Both are safe to retry: the outbox dedupe key
per meeting occurrence stops a second send, and delivery claims rows before sending.
"""

from __future__ import annotations

import datetime as dt

from prefect import task

from planwarden.orchestration.results import PackOutcome


@task(retries=2, retry_delay_seconds=[60, 300], name="board-pack-build-and-queue")
def build_and_queue(plan_key: str, today: str | None = None) -> list[PackOutcome]:
    """Packs due today for one plan: built, stored and queued for the secretary."""
    from planwarden.orchestration.flowrun import flow_config
    from planwarden.pack.run import run_board_packs

    day = dt.date.fromisoformat(today) if today else None
    return [PackOutcome(r["meeting"], r["meeting_date"], r["outcome"], r.get("sha256"), r.get("error"))
            for r in run_board_packs(flow_config(), plan_key, day)]
