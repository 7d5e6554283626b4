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
    from planwarden.orchestration.flowrun import plan_flow
    from planwarden.orchestration.results import as_json

    with plan_flow(plan_key, "board_pack") as run:
        keys = [plan_key] if plan_key else [p.key for p in run.config.settings.plans]
        results = {key: build_and_queue(key, today) for key in keys}
        delivered = deliver_outbox()  # every scheduled flow ends by delivering what is due
        run.summary.update(packs={k: [{x: getattr(r, x) for x in ("meeting", "meeting_date", "outcome")}
                                      for r in rows] for k, rows in results.items()},
                           delivered=as_json(delivered))
    return {"plans": {k: as_json(rows) for k, rows in results.items()}, "delivered": as_json(delivered)}
