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
def daily_reminders(plan_key: str | None = None, today: str | None = None,
                    plan_keys: list[str] | None = None) -> dict[str, Any]:
    """Today's reminders for one plan, or for ``plan_keys`` / every configured plan in
    turn (``reminders-all``: each plan's slot held only for its own share), then delivery."""
    from planwarden.orchestration.flowrun import plan_flow, plan_turn
    from planwarden.orchestration.results import as_json
    from planwarden.reminders.run import plans_to_run

    batched = plan_key is None
    with plan_flow(plan_key, "reminders", hold_slot=not batched) as run:
        keys = plan_keys or [p.key for p in plans_to_run(run.config, plan_key)]
        results = []
        for key in keys:
            if not batched:
                results.append(compute_and_record(key, today))
                continue
            with plan_turn(run.config, key, "reminders") as summary:
                results.append(compute_and_record(key, today))
                summary.update(plans=[_brief(as_json(results[-1]))])
        delivered = deliver_outbox()  # every scheduled flow ends by delivering what is due
        run.summary.update(plans=[_brief(as_json(r)) for r in results], delivered=as_json(delivered))
    return {"plans": as_json(results), "delivered": as_json(delivered)}


def _brief(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "items"}


def deployments() -> list[Any]:
    """One deployment per plan: weekdays 08:00 in the plan's time zone (cron from the
    plan's ``schedules.reminders`` when configured). `planwarden serve` runs them."""
    from planwarden.core.config import load_config
    from planwarden.orchestration.deploy import build_deployments

    return build_deployments(load_config(), jobs=("reminders",))
