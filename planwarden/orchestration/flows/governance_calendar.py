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
    from planwarden.core.config import load_config
    from planwarden.orchestration.runs import recorded_run

    config = load_config()
    with recorded_run(config.database_url, plan_key or "", "calendar") as summary:
        result = sync_calendar(feeds_dir)
        delivered = deliver_outbox()  # every scheduled flow ends by delivering what is due
        summary.update(events=result["events"], sent=len(result["sent"]), warnings=result["warnings"],
                       delivered=delivered)
    return {**result, "delivered": delivered}
