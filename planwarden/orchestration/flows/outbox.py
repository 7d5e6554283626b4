"""Every 5 minutes: deliver whatever mail is due, whether or not anything new was queued.

This is what makes a crash or a mail outage recover by itself within minutes, the same
day: mail left ``retry`` by an outage, or ``sending`` by a killed process (after its
lease), goes out on the next tick. The flow fails visibly (and ``status`` shows the
stuck mail) while the mail service cannot be reached.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from planwarden.orchestration.tasks.mail import deliver_outbox

DEFAULT_CRON = "*/5 * * * *"


@flow(name="deliver-outbox", log_prints=False)
def outbox(plan_key: str | None = None) -> dict[str, Any]:
    """Deliver every due message (all plans share one outbox; two runs at once never send one twice)."""
    from planwarden.orchestration.flowrun import plan_flow
    from planwarden.orchestration.results import as_json

    with plan_flow(plan_key, "outbox", hold_slot=False) as run:  # delivery claims rows: no slot needed
        delivered = deliver_outbox()
        run.summary.update(delivered=as_json(delivered))
    return {"delivered": as_json(delivered)}
