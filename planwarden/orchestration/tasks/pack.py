"""Prefect tasks for the board pack. The logic is in planwarden.pack.run.

One task builds and queues every pack due today for a plan (a batch: never one task
per action); one delivers the outbox. Both are safe to retry: the outbox dedupe key
per meeting occurrence stops a second send, and delivery claims rows before sending.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from prefect import task



@task(retries=2, retry_delay_seconds=[60, 300], name="board-pack-build-and-queue")
def build_and_queue(plan_key: str, today: str | None = None) -> list[dict[str, Any]]:
    """Packs due today for one plan: built, stored and queued for the secretary."""
    from planwarden.core.config import load_config
    from planwarden.pack.run import run_board_packs

    day = dt.date.fromisoformat(today) if today else None
    return run_board_packs(load_config(), plan_key, day)
