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
    from planwarden.core.config import load_config
    from planwarden.orchestration.runs import recorded_run

    config = load_config()
    with recorded_run(config.database_url, plan_key or "", "outbox") as summary:
        delivered = deliver_outbox()
        summary.update(delivered=delivered)
    return {"delivered": delivered}
