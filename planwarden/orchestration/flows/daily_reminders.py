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
    from planwarden.orchestration.flowrun import plan_flow
    from planwarden.orchestration.results import as_json
    from planwarden.reminders.run import plans_to_run

    with plan_flow(plan_key, "reminders") as run:
        results = [compute_and_record(p.key, today) for p in plans_to_run(run.config, plan_key)]
        delivered = deliver_outbox()  # every scheduled flow ends by delivering what is due
        run.summary.update(plans=[{k: v for k, v in as_json(r).items() if k != "items"} for r in results],
                           delivered=as_json(delivered))
    return {"plans": as_json(results), "delivered": as_json(delivered)}


def deployments() -> list[Any]:
    """One deployment per plan: weekdays 08:00 in the plan's time zone (cron from the
    plan's ``schedules.reminders`` when configured). `planwarden serve` runs them."""
    from planwarden.core.config import load_config
    from planwarden.orchestration.deploy import build_deployments

    return build_deployments(load_config(), jobs=("reminders",))
