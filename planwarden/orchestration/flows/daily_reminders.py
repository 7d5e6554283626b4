"""Working days at 08:00 (plan time zone): the due-date check and reminder emails.

The flow only orchestrates: compute + record (one task per plan) -> deliver (one
task, batched). A run on a weekend or bank holiday records nothing and sends nothing.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from planwarden.orchestration.tasks.mail import deliver_outbox
from planwarden.orchestration.tasks.reminders import compute_and_record

DEFAULT_CRON = "0 8 * * 1-5"


@flow(name="daily-reminders", log_prints=False)
def daily_reminders(plan_key: str | None = None, today: str | None = None) -> dict[str, Any]:
    """Today's reminders for one plan (or every configured plan), then delivery."""
    from planwarden.core.config import load_config
    from planwarden.reminders.run import plans_to_run
    from planwarden.orchestration.runs import recorded_run

    config = load_config()
    keys = [p.key for p in plans_to_run(config, plan_key)]
    results = []
    with recorded_run(config.database_url, plan_key or "", "reminders") as summary:
        for key in keys:
            results.append(compute_and_record(key, today))
        delivered = deliver_outbox()  # today's digests, and whatever an earlier outage left
        summary.update(plans=[{k: r[k] for k in ("plan", "today", "reminders", "messages")} for r in results],
                       delivered=delivered)
    return {"plans": results, "delivered": delivered}


def deployments() -> list[Any]:
    """One deployment per plan: weekdays 08:00 in the plan's time zone (cron from the
    plan's ``schedules.reminders`` when configured). `planwarden serve` runs them."""
    from prefect.schedules import Cron

    from planwarden.core.config import load_config
    from planwarden.reminders.run import plans_to_run

    config = load_config()
    out = []
    for plan in plans_to_run(config, None):
        cron = getattr(getattr(plan, "schedules", None), "reminders", None) or DEFAULT_CRON
        out.append(daily_reminders.to_deployment(
            name=f"reminders-{plan.key}", schedule=Cron(cron, timezone=plan.timezone),
            parameters={"plan_key": plan.key}, concurrency_limit=1))
    return out
