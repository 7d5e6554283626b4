"""The collect-replies flow: runs under Prefect, every 10 minutes per plan."""

from __future__ import annotations

import pytest

from replies_support import Env, eml, make_env


@pytest.fixture
def env(jtai_env: str, clock: object) -> Env:
    return make_env()


def test_flow_is_deployed_every_ten_minutes_in_the_plan_timezone(jtai_env: str) -> None:
    from planwarden.orchestration.flows.collect_replies import collect_replies, deployments
    from planwarden.core.config import load_config
    from planwarden.orchestration.service import JOBS, deployment_specs

    assert any(j.module == "planwarden.orchestration.flows.collect_replies" and j.flow == "collect_replies" for j in JOBS)
    spec = next(s for s in deployment_specs(load_config()) if s["name"] == "replies-jtai")
    assert (spec["cron"], spec["timezone"]) == ("*/10 * * * *", "Europe/London")
    [dep] = deployments()
    assert dep.name == "replies-jtai" and dep.parameters == {"plan_key": "jtai"}
    assert dep.schedules[0].schedule.cron == "*/10 * * * *"
    assert collect_replies.name == "collect-replies"


@pytest.mark.slow
def test_flow_run_collects_records_and_sends_confirmations(env: Env, prefect_harness: None) -> None:
    from planwarden.orchestration.flows.collect_replies import collect_replies

    inbox = env.config.mail_dir("inbox")
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "a.eml").write_bytes(eml("digest_two.eml"))
    (inbox / "b.eml").write_bytes(eml("stranger.eml"))
    result = collect_replies(plan_key="jtai")
    assert (result["collected"]["applied"], result["collected"]["quarantined"]) == (1, 1)
    assert env.action("2.1c").rag == "amber"
    [conf] = env.outbox("confirmation")
    assert conf.state == "sent"
    assert (inbox / "quarantine" / "b.eml").exists() and (inbox / "processed" / "a.eml").exists()
    again = collect_replies(plan_key="jtai")
    assert again["collected"]["messages"] == 0
