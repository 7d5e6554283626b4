"""Every 10 minutes: read owners' replies, record them, then send the confirmations.

The flow only orchestrates: collect (one task, a batch of messages) -> deliver the
outbox (confirmations, bounce notices, and anything else due).
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from planwarden.orchestration.tasks.mail import deliver_outbox
from planwarden.orchestration.tasks.replies import collect_mailbox

DEFAULT_CRON = "*/10 * * * *"


@flow(name="collect-replies", log_prints=False)
def collect_replies(plan_key: str | None = None, limit: int = 500) -> dict[str, Any]:
    """Collect the plan's mailbox (its own [plans.mail], else the shared one). When plans
    share a mailbox, each plan's run reads it: harmless, a message is recorded once."""
    from planwarden.orchestration.flowrun import plan_flow
    from planwarden.orchestration.results import as_json

    with plan_flow(plan_key, "replies") as run:
        collected = collect_mailbox(limit, plan_key)
        # confirmations and bounce notices
        delivered = deliver_outbox()  # every scheduled flow ends by delivering what is due
        run.summary.update(as_json(collected), delivered=as_json(delivered))
    return {"collected": as_json(collected), "delivered": as_json(delivered)}


def deployments() -> list[Any]:
    """One deployment per plan, every 10 minutes (cron from ``schedules.replies`` when configured)."""
    from planwarden.core.config import load_config
    from planwarden.orchestration.deploy import build_deployments

    return build_deployments(load_config(), jobs=("replies",))
