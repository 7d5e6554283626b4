"""Benchmark: many partnerships on one PostgreSQL, reminders through a Prefect server and
two `process` workers, end to end (trigger -> computed, queued and delivered -> completed).

    .venv/bin/python -m benchmarks.bench_partnerships [--plans N] [--actions N] [--full] [--per-plan]

Target (issue 16): 100 partnerships x 500 actions, the day's reminders for all of them
in <= 30 s. The default is scaled down (10 x 500); ``--full`` runs 100 x 500. The config
sets ``batch_reminders = true`` (the recommended setting for many partnerships), so
`deploy` registers one ``reminders-all`` deployment, and what is timed is:

- batched: one run of each ``reminders-all-N`` deployment (50 plans each, so two at full
  size, one per worker) -- its plans computed and queued in one flow run, one transaction
  and one concurrency slot per plan, then the outbox delivered;
- per plan (``--per-plan``): one run per plan of the same deployment with ``plan_key``
  set (what ``batch_reminders = false`` schedules), for comparison.

Needs PostgreSQL on 127.0.0.1:5432 (PLANWARDEN_TEST_POSTGRES_URL); uses the loopback
cluster helper the tests use (tests/prefect_cluster.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
PG_URL = os.environ.get("PLANWARDEN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
ADMIN = PG_URL.replace("postgresql+psycopg://", "postgresql://")
TODAY = dt.date(2023, 2, 8)
OWNERS = 400


def write_config(folder: Path, plans: int) -> Path:
    people = ["[[people]]\nid = \"sec\"\nname = \"Secretary\"\nemail = \"secretary@example.org\"\n"]
    people += [f"[[people]]\nid = \"o{i:04d}\"\nname = \"Owner {i:04d}\"\nemail = \"owner{i:04d}@example.org\"\n"
               for i in range(OWNERS)]
    (folder / "directory.toml").write_text("\n".join(people), encoding="utf-8")
    lines = ['directory = "directory.toml"', "batch_reminders = true", "", "[mail]", 'transport = "outbox"',
             'from_address = "shared@example.org"', ""]
    for n in range(plans):
        lines += ["[[plans]]", f'key = "p{n:03d}"', f'title = "Partnership {n:03d} plan"', 'secretary = "sec"',
                  'business_manager = "sec"', f'mailbox = "p{n:03d}@example.org"', ""]
    path = folder / "planwarden.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def build(url: str, plans: int, actions: int) -> None:
    """Every plan's actions, written with bulk inserts (the importer is not what is measured)."""
    from sqlalchemy import insert

    from planwarden.core.db import engine_for
    from planwarden.plan.models import Action, ActionOwner, Area, Person, Plan, Section

    rng = random.Random(0)
    now = dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc)
    with engine_for(url).begin() as conn:
        conn.execute(insert(Person), [{"id": i + 1, "key": f"o{i:04d}", "name": f"Owner {i:04d}",
                                       "email": f"owner{i:04d}@example.org"} for i in range(OWNERS)])
        for p in range(plans):
            pid = p + 1
            conn.execute(insert(Plan), [{"id": pid, "key": f"p{p:03d}", "title": f"Partnership {p:03d} plan",
                                         "partnership": "", "timezone": "Europe/London", "created_at": now}])
            conn.execute(insert(Section), [{"id": pid, "plan_id": pid, "number": "1", "title": "S", "position": 0}])
            conn.execute(insert(Area), [{"id": pid, "plan_id": pid, "section_id": pid, "number": "1.1",
                                         "title": "A", "position": 0}])
            rows, owners = [], []
            for n in range(actions):
                aid = p * actions + n + 1
                due = TODAY + dt.timedelta(days=rng.randint(-90, 90))
                rows.append({"id": aid, "plan_id": pid, "section_id": pid, "area_id": pid,
                             "ref": f"{n // 26 + 1}.1{chr(97 + n % 26)}", "text": "Embed multi-agency guidance.",
                             "owner_text": "", "due": due, "due_text": "", "milestones": [],
                             "rag": rng.choice(["amber", "red", None]), "position": n, "created_at": now,
                             "updated_at": now})
                owners.append({"action_id": aid, "person_id": rng.randrange(OWNERS) + 1, "via": "", "kind": "person",
                               "position": 0})
            conn.execute(insert(Action), rows)
            conn.execute(insert(ActionOwner), owners)


REGISTER = ("from planwarden.core.config import load_config; from planwarden.orchestration.deploy import register; "
            "print(register(load_config(), jobs=('reminders',)).deployments)")


def run(plans: int, actions: int, per_plan: bool = False) -> dict[str, Any]:
    from prefect_cluster import BIN, prefect_cluster, scratch_database, wait_for

    with TemporaryDirectory(prefix="bench-partnerships-") as tmp, \
            scratch_database(ADMIN, "planwarden_bench") as appdb:
        folder = Path(tmp)
        url = f"{PG_URL.rsplit('/', 1)[0]}/{appdb}"
        config = write_config(folder, plans)
        start = time.perf_counter()
        build(url, plans, actions)
        built = time.perf_counter() - start
        env = {"PLANWARDEN_CONFIG": str(config), "PLANWARDEN_DATABASE_URL": url,
               "PLANWARDEN_HOME": str(folder / "data")}
        with prefect_cluster(ADMIN, folder / "cluster", env) as cluster:
            start = time.perf_counter()
            cluster.run(str(BIN / "python"), "-c", REGISTER, timeout=1800)  # the pool, the limits, reminders-all
            deployed = time.perf_counter() - start
            for name in ("worker-1", "worker-2"):
                cluster.start_worker(name)
            wait_for("two workers", lambda: len([w for w in cluster.post("/work_pools/planwarden/workers/filter", {})
                                                 if w.get("status") == "ONLINE"]) == 2, 120, cluster.logs)
            load_before = os.getloadavg()[0]
            names = _batched_deployments(config)
            batched = _timed(cluster, [("daily-reminders", name, {"today": TODAY.isoformat()}) for name in names])
            result = {"batched_runs": batched, "deployments": names, "load_1min_before_batched": round(load_before, 2)}
            if per_plan:
                tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
                result["per_plan_runs"] = _timed(cluster, [
                    ("daily-reminders", names[0], {"plan_key": f"p{n:03d}", "plan_keys": None,
                                                   "today": tomorrow}) for n in range(plans)])
        queued = _outbox(url)
    return {"plans": plans, "actions_per_plan": actions, "build_s": round(built, 1), "deploy_s": round(deployed, 1),
            **result, "outbox": queued, "load_1min": os.getloadavg()[0]}


def _batched_deployments(config: Path) -> list[str]:
    """The reminders-all deployments `deploy` registers for this config (one per 50 plans)."""
    from planwarden.core.config import load_config
    from planwarden.orchestration.deploy import batched_reminders

    return [spec.name for spec in batched_reminders(load_config(config))]


def _timed(cluster: Any, runs: list[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    start = time.perf_counter()
    ids = [cluster.trigger(flow, name, **params) for flow, name, params in runs]
    final = cluster.wait_final(ids, timeout=3600)
    seconds = time.perf_counter() - start
    states = sorted({r["state_type"] for r in final.values()})
    return {"runs": len(ids), "seconds": round(seconds, 1), "states": states}


def _outbox(url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from planwarden.core.db import session_scope
    from planwarden.plan.models import OutboxMessage

    with session_scope(url) as session:
        return dict(session.execute(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)).all())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=10)
    parser.add_argument("--actions", type=int, default=500)
    parser.add_argument("--full", action="store_true", help="100 partnerships x 500 actions")
    parser.add_argument("--per-plan", action="store_true", help="also time one run per plan (minutes at 100)")
    args = parser.parse_args(argv)
    plans = 100 if args.full else args.plans
    print(json.dumps(run(plans, args.actions, args.per_plan), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
