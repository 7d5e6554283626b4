"""The scaled-out service, for real: a Prefect server on its own PostgreSQL database, the
deployments registered by `planwarden deploy`, two `process` workers. The reminder,
reply and calendar runs complete on the workers; a worker stopped mid-run hands its run
to the other and nothing goes twice; one plan's runs never overlap.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from conftest import EXAMPLE, PG_URL
from prefect_cluster import BIN, Cluster, _cmdline, descendants, prefect_cluster, scratch_database, wait_for

pytestmark = pytest.mark.slow

SEED = EXAMPLE / "plan" / "000_3a816ad8139d38e0.txt"
STRANGER = Path(__file__).parent / "data" / "replies" / "stranger.eml"
ADMIN = PG_URL.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, postgres_available: str | None) -> Iterator[Cluster]:
    if postgres_available:
        pytest.skip(f"PostgreSQL is needed for the Prefect server: {postgres_available}")
    home = tmp_path_factory.mktemp("cluster")
    with scratch_database(ADMIN, "planwarden_app") as appdb:
        app_url = f"{PG_URL.rsplit('/', 1)[0]}/{appdb}"
        env = {"PLANWARDEN_CONFIG": str(EXAMPLE / "planwarden.toml"), "PLANWARDEN_DATABASE_URL": app_url,
               "PLANWARDEN_HOME": str(home / "data")}
        with prefect_cluster(ADMIN, home, env) as cluster:
            cluster.run(str(BIN / "planwarden"), "import", str(SEED), "--plan", "jtai")
            deployed = json.loads(cluster.run(str(BIN / "planwarden"), "deploy", "--json").stdout)
            assert deployed["limits"] == ["planwarden-plan-jtai"] and len(deployed["deployments"]) == 5  # with the outbox flow
            cluster.start_worker("worker-1")
            cluster.start_worker("worker-2")
            wait_for("two workers online", lambda: len(_online(cluster)) == 2, 120, cluster.logs)
            yield cluster
        from planwarden.core import db
        db.forget(app_url)


def _online(cluster: Cluster) -> list[str]:
    rows = cluster.post("/work_pools/planwarden/workers/filter", {})
    return [r["name"] for r in rows if r.get("status") == "ONLINE"]


def _app(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> str:
    for key in ("PLANWARDEN_CONFIG", "PLANWARDEN_DATABASE_URL", "PLANWARDEN_HOME"):
        monkeypatch.setenv(key, cluster.env[key])
    return cluster.env["PLANWARDEN_DATABASE_URL"]


def _completed_on(cluster: Cluster, run: dict[str, object]) -> list[str]:
    """The workers whose flow run process finished ``run`` (both may try to claim a run;
    the server lets one have it)."""
    line = f"Flow run '{run['name']}' - Finished in state Completed()"

    def workers() -> list[str]:  # the run's output reaches the worker's log a moment after the API
        return [w for w in ("worker-1", "worker-2") if line in cluster.log(w).read_text(errors="replace")]
    return wait_for(f"{run['name']} in a worker's log", workers, 30, cluster.logs)


def test_reminder_reply_and_calendar_runs_complete_on_the_workers_one_at_a_time(
        cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    from planwarden.core.config import load_config
    from planwarden.core.db import session_scope
    from planwarden.plan.models import FlowRun, OutboxMessage

    url = _app(cluster, monkeypatch)
    config = load_config()
    inbox = config.mail_dir("inbox", config.mail_for("jtai"))
    inbox.mkdir(parents=True, exist_ok=True)
    shutil.copy(STRANGER, inbox / "stranger.eml")
    runs = {"reminders": cluster.trigger("daily-reminders", "reminders-jtai", plan_key="jtai", today="2023-02-08"),
            "replies": cluster.trigger("collect-replies", "replies-jtai", plan_key="jtai"),
            "calendar": cluster.trigger("governance-calendar", "calendar-jtai", plan_key="jtai")}
    final = cluster.wait_final(list(runs.values()))
    assert {job: final[r]["state_type"] for job, r in runs.items()} == dict.fromkeys(runs, "COMPLETED")
    for run_id in runs.values():
        assert len(_completed_on(cluster, final[run_id])) == 1, "each run completes on exactly one worker"

    with session_scope(url) as session:
        recorded = list(session.scalars(select(FlowRun).where(FlowRun.plan_key == "jtai").order_by(FlowRun.started_at)))
        reminders = list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder")))
        quarantined = session.scalar(text("SELECT count(*) FROM inbound_messages WHERE outcome = 'quarantined'"))
    assert {r.job for r in recorded} >= {"reminders", "replies", "calendar"}
    assert all(r.outcome == "ok" for r in recorded)
    for before, after in zip(recorded, recorded[1:]):
        assert before.finished_at is not None and before.finished_at <= after.started_at, (
            f"{before.job} and {after.job} overlapped for one plan")
    assert reminders and {m.state for m in reminders} == {"sent"}
    assert len({m.dedupe_key for m in reminders}) == len(reminders)
    assert len(list(config.mail_dir("outbox").glob("*.eml"))) == len(reminders)
    assert quarantined == 1 and (inbox / "quarantine" / "stranger.eml").exists()


def test_a_worker_stopped_mid_run_hands_the_run_over_and_the_pack_goes_once(
        cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    from planwarden.core.db import session_scope
    from planwarden.plan.models import OutboxMessage

    url = _app(cluster, monkeypatch)
    run_id = cluster.trigger("board-pack", "board-pack-jtai", plan_key="jtai", today="2022-12-14")
    wait_for("the pack run to start", lambda: cluster.flow_run(run_id)["state_type"] == "RUNNING", 120,
             cluster.logs, every=0.2)
    busy = wait_for("the worker running it", lambda: [w for w in ("worker-1", "worker-2") if any(
        "flow-run execute" in _cmdline(p) for p in descendants(cluster.processes[w].pid))], 30, cluster.logs, 0.1)
    (victim,) = busy
    cluster.stop_worker_mid_run(victim)
    final = cluster.wait_final([run_id], timeout=90)[run_id]
    assert final["state_type"] == "COMPLETED"
    states = cluster.states(run_id)
    assert states.count("RUNNING") == 2 and "SCHEDULED" in states[states.index("RUNNING"):], states
    survivor = "worker-2" if victim == "worker-1" else "worker-1"
    assert _completed_on(cluster, final) == [survivor]
    with session_scope(url) as session:
        packs = list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "pack")))
    assert [(p.dedupe_key, p.state) for p in packs] == [("pack:jtai:jtai-improvement-board@2022-12-21", "sent")]
    limit = cluster.get("/v2/concurrency_limits/planwarden-plan-jtai")
    assert limit["active_slots"] == 0, "the stopped run gave its plan's slot back"


def test_deploy_needs_a_prefect_api(cluster: Cluster) -> None:
    import subprocess

    env = {k: v for k, v in cluster.env.items() if k != "PREFECT_API_URL"}
    out = subprocess.run([str(BIN / "planwarden"), "deploy"], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "PREFECT_API_URL is not set" in out.stderr and "Traceback" not in out.stderr
