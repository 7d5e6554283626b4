"""The Prefect flow: compute + record, then deliver; the deployment's schedule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from planwarden.cli import main
from planwarden.core.clock import FixedClock, at_local

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "examples" / "jtai"


@pytest.fixture
def jtai(monkeypatch: pytest.MonkeyPatch, sqlite_url: str, clock: FixedClock) -> str:
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(EXAMPLE / "planwarden.toml"))
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    assert main(["import", str(EXAMPLE / "plan" / "000_3a816ad8139d38e0.txt"), "--plan", "jtai"]) == 0
    return sqlite_url


def test_flow_records_then_delivers_and_a_rerun_sends_nothing(jtai: str, clock: FixedClock,
                                                              prefect_harness: None) -> None:
    from planwarden.orchestration.flows.daily_reminders import daily_reminders
    from planwarden.core.config import load_config
    from planwarden.core.db import session_scope
    from planwarden.plan.models import OutboxMessage
    from planwarden.reminders.models import ReminderLog

    clock.set(at_local(dt.date(2023, 2, 8), "Europe/London"))
    first = daily_reminders(plan_key="jtai")
    plan = first["plans"][0]
    assert plan["today"] == "2023-02-08" and plan["messages"] > 0 and plan["reminders"] > 0
    assert first["delivered"]["sent"] == plan["messages"]
    assert len(list(load_config().mail_dir("outbox").glob("*.eml"))) == plan["messages"]
    again = daily_reminders(plan_key="jtai")
    assert again["plans"][0]["messages"] == 0 and again["delivered"]["sent"] == 0  # delivery always runs
    with session_scope(jtai) as session:
        assert session.scalar(select(func.count()).select_from(ReminderLog)) == plan["reminders"]
        assert session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.state == "sent")) == plan["messages"]


def test_deployment_runs_on_working_day_mornings_in_the_plan_time_zone(jtai: str) -> None:
    from planwarden.orchestration.flows.daily_reminders import deployments

    (deployment,) = deployments()
    assert deployment.name == "reminders-jtai" and deployment.parameters == {"plan_key": "jtai"}
    (schedule,) = deployment.schedules
    assert schedule.schedule.cron == "0 8 * * 1-5" and schedule.schedule.timezone == "Europe/London"


def test_a_batched_run_does_each_plan_in_turn_and_records_each_plans_run(jtai: str, clock: FixedClock,
                                                                         prefect_harness: None) -> None:
    from planwarden.core.db import session_scope
    from planwarden.orchestration.flows.daily_reminders import daily_reminders
    from planwarden.plan.listing import last_runs

    clock.set(at_local(dt.date(2023, 2, 8), "Europe/London"))
    result = daily_reminders(plan_keys=["jtai"])  # what the reminders-all deployment runs
    (plan,) = result["plans"]
    assert plan["plan"] == "jtai" and plan["messages"] > 0 and result["delivered"]["sent"] == plan["messages"]
    with session_scope(jtai) as session:
        run = last_runs(session.connection(), "jtai")["reminders"]  # `planwarden status` sees the plan's own run
        assert run["outcome"] == "ok" and run["summary"]["plans"][0]["messages"] == plan["messages"]
