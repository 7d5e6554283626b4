"""Daily: send what changed in the governance calendar, refresh the .ics feeds."""

from __future__ import annotations

from typing import Any

from prefect import flow

from planwarden.orchestration.tasks.calendar import sync_calendar
from planwarden.orchestration.tasks.mail import deliver_outbox


@flow(name="governance-calendar", log_prints=False)
def governance_calendar(plan_key: str | None = None, feeds_dir: str | None = None) -> dict[str, Any]:
    """Invitations, updates and cancellations for what changed since the last run; nothing
    when nothing changed. The calendar is shared by all plans, so the runs scheduled for
    several plans are harmless repeats (the second finds nothing to send)."""
    from planwarden.orchestration.flowrun import plan_flow
    from planwarden.orchestration.results import as_json

    with plan_flow(plan_key, "calendar") as run:
        result = sync_calendar(feeds_dir)
        delivered = deliver_outbox()  # every scheduled flow ends by delivering what is due
        run.summary.update(events=result.events, sent=len(result.sent), warnings=result.warnings,
                           delivered=as_json(delivered))
    return {**as_json(result), "delivered": as_json(delivered)}
