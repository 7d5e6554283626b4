"""Daily: build and send the board pack when a board meeting is N working days away.

The flow only orchestrates: build-and-queue (one task per plan) -> deliver (one task).
Most days nothing is due and nothing happens; on a build day the pack is built as of
that day, stored as a snapshot and emailed to the secretary, once per meeting.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from planwarden.orchestration.tasks.mail import deliver_outbox
from planwarden.orchestration.tasks.pack import build_and_queue



@flow(name="board-pack", log_prints=False)
def board_pack(plan_key: str | None = None, today: str | None = None) -> dict[str, Any]:
    """Packs due today for one plan (or every configured plan), then delivery."""
    from planwarden.core.config import load_config
    from planwarden.orchestration.runs import recorded_run

    config = load_config()
    keys = [plan_key] if plan_key else [p.key for p in config.settings.plans]
    results: dict[str, list[dict[str, Any]]] = {}
    with recorded_run(config.database_url, plan_key or "", "board_pack") as summary:
        for key in keys:
            results[key] = build_and_queue(key, today)
        delivered = deliver_outbox()  # every scheduled flow ends by delivering what is due
        summary.update(packs={k: [{x: r.get(x) for x in ("meeting", "meeting_date", "outcome")} for r in rows]
                              for k, rows in results.items()}, delivered=delivered)
    return {"plans": results, "delivered": delivered}
