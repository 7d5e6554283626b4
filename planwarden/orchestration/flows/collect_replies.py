"""Every 10 minutes: read owners' replies, record them, then send the confirmations.

The flow only orchestrates: collect (one task, a batch of messages) -> deliver the
outbox (confirmations, bounce notices, and anything else due).
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from planwarden.orchestration.tasks.replies import collect_mailbox

DEFAULT_CRON = "*/10 * * * *"


@flow(name="collect-replies", log_prints=False)
def collect_replies(plan_key: str | None = None, limit: int = 500) -> dict[str, Any]:
    """Collect the plan's mailbox (its own [plans.mail], else the shared one). When plans
    share a mailbox, each plan's run reads it: harmless, a message is recorded once."""
    from planwarden.core.config import load_config
    from planwarden.orchestration.runs import recorded_run

    config = load_config()
    with recorded_run(config.database_url, plan_key or "", "replies") as summary:
        collected = collect_mailbox(limit, plan_key)
        from planwarden.orchestration.tasks.mail import deliver_outbox
        delivered = deliver_outbox()  # confirmations, bounce notices, and anything else due
        summary.update({k: v for k, v in collected.items() if k != "results"}, delivered=delivered)
    return {"collected": collected, "delivered": delivered}


def deployments() -> list[Any]:
    """One deployment per plan, every 10 minutes (cron from ``schedules.replies`` when configured)."""
    from prefect.schedules import Cron

    from planwarden.core.config import load_config

    config = load_config()
    out = []
    for plan in config.settings.plans:
        cron = getattr(getattr(plan, "schedules", None), "replies", None) or DEFAULT_CRON
        out.append(collect_replies.to_deployment(
            name=f"replies-{plan.key}", schedule=Cron(cron, timezone=plan.timezone),
            parameters={"plan_key": plan.key}, concurrency_limit=1))
    return out
