"""Benchmark: a dry-run `remind` over 50,000 open actions across 5,000 owners.

    .venv/bin/python -m benchmarks.bench_remind [--actions N] [--owners N] [--naive-sample N]

Targets (2-core machine): <= 10 s and <= 500 MB peak memory for the dry run. For
comparison it also measures the naive design — one Prefect task per action — on a small
sample and extrapolates. Each measurement runs in a fresh process so its peak memory
(ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TODAY = dt.date(2023, 2, 8)  # a Wednesday
PLAN = "bench"


def people(owners: int) -> list[dict[str, str]]:
    return [{"id": f"p{i:05d}", "name": f"Owner {i:05d}", "email": f"owner{i:05d}@example.org"}
            for i in range(owners)]


def make_config(db: Path, owners: int) -> Any:
    from planwarden.core.config import (Config, DirectoryConfig, GovernanceConfig, MailSettings, PersonConfig, PlanConfig,
                                   Settings)

    directory = DirectoryConfig(people=[PersonConfig(**p) for p in people(owners)]
                                + [PersonConfig(id="sec", name="Secretary", email="secretary@example.org")])
    settings = Settings(database_url=f"sqlite:///{db}", data_dir=str(db.parent),
                        mail=MailSettings(from_address="plan@example.org", outbox_dir=str(db.parent / "outbox")),
                        plans=[PlanConfig(key=PLAN, title="Benchmark plan", secretary="sec", business_manager="sec",
                                          mailbox="plan@example.org")])
    return Config(settings, directory, GovernanceConfig(), None)


def build(db: Path, actions: int, owners: int) -> None:
    """The store, written with bulk inserts (the importer is not what is measured)."""
    from sqlalchemy import insert

    from planwarden.core.db import engine_for
    from planwarden.plan.models import Action, ActionOwner, Area, Person, Plan, ProgressUpdate, Section

    rng = random.Random(0)
    now = dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc)
    engine = engine_for(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(insert(Plan), [{"id": 1, "key": PLAN, "title": "Benchmark plan", "partnership": "",
                                     "timezone": "Europe/London", "created_at": now}])
        conn.execute(insert(Section), [{"id": 1, "plan_id": 1, "number": "1", "title": "Section", "position": 0}])
        conn.execute(insert(Area), [{"id": 1, "plan_id": 1, "section_id": 1, "number": "1.1", "title": "Area",
                                     "position": 0}])
        conn.execute(insert(Person), [{"id": i + 1, "key": p["id"], "name": p["name"], "email": p["email"]}
                                      for i, p in enumerate(people(owners))])
        rows, owner_rows, updates = [], [], []
        for n in range(actions):
            owner = n % owners
            roll = rng.random()
            due = None if roll < 0.05 else TODAY + dt.timedelta(days=rng.randint(-120, 120))
            rag = "green" if rng.random() < 0.2 else rng.choice(["amber", "red", None])
            rows.append({"id": n + 1, "plan_id": 1, "section_id": 1, "area_id": 1, "ref": f"{n // 26 + 1}.1"
                         f"{chr(97 + n % 26)}", "text": "Develop and embed multi-agency guidance on exploitation, "
                         "with training for front-door practitioners across all partner agencies. " * 2,
                         "owner_text": f"Owner {owner:05d}", "due": due, "due_text": "", "milestones": [],
                         "rag": rag, "position": n, "created_at": now, "updated_at": now})
            owner_rows.append({"action_id": n + 1, "person_id": owner + 1, "via": f"Owner {owner:05d}",
                               "kind": "person", "position": 0})
            updates.append({"action_id": n + 1, "date": dt.date(2022, 12, 14), "author": "",
                            "text": "Progress has been made; the working group met and agreed next steps. " * 3,
                            "rag": rag, "source": "import", "decision": "imported", "created_at": now})
        conn.execute(insert(Action), rows)
        conn.execute(insert(ActionOwner), owner_rows)
        conn.execute(insert(ProgressUpdate), updates)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(db: Path, owners: int) -> dict[str, Any]:
    """The measured step: exactly what `planwarden remind --dry-run` does."""
    from planwarden.core import clock
    from planwarden.core.db import engine_for
    from planwarden.reminders.run import run_reminders

    config = make_config(db, owners)
    engine_for(config.database_url)  # migrations checked before the clock starts (as at service start)
    clock.set_clock(clock.FixedClock(clock.at_local(TODAY)))
    start = time.perf_counter()
    runs = run_reminders(config, today=TODAY, dry_run=True)
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 2), "peak_mb": round(peak_mb(), 1), "reminders": len(runs[0].reminders),
            "messages": len(runs[0].messages)}


def naive(db: Path, owners: int, sample: int) -> dict[str, Any]:
    """One Prefect task per action: load it, decide, render — on ``sample`` actions."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
    from prefect import flow, task
    from sqlalchemy import select

    from planwarden.core.db import session_scope
    from planwarden.plan.directory import Directory
    from planwarden.reminders.run import (ActionState, Router, WorkingCalendar, build_digests,
                                          digest_context, load_infos, load_sent, reminders_due, secretary_for)
    from planwarden.mail.emails import render
    from planwarden.plan.models import Action

    config = make_config(db, owners)
    plan_cfg = config.plan(PLAN)

    @task
    def one_action(action_id: int) -> int:
        with session_scope(config.database_url) as session:
            a = session.get(Action, action_id)
            assert a is not None
            sent = [s for s in load_sent(session, PLAN) if s.action_id == action_id]
            due = reminders_due([ActionState(a.id, a.ref, a.due, a.rag)], sent, TODAY, WorkingCalendar())
            if not due:
                return 0
            directory = Directory(config.directory)
            secretary = secretary_for(config, plan_cfg, directory)
            router = Router(directory.resolve, directory.person, {}, TODAY, secretary, secretary)
            digests = build_digests(due, load_infos(session, [action_id], directory), router)
            for d in digests:
                render("reminder", digest_context(d, plan={"key": PLAN, "title": "", "partnership": "",
                                                           "mailbox": "plan@example.org"}, today=TODAY))
            return len(digests)

    @flow
    def per_action(ids: list[int]) -> int:
        futures = [one_action.submit(i) for i in ids]
        return sum(f.result() for f in futures)

    @flow
    def warm_up() -> None:
        return None

    t0 = time.perf_counter()
    warm_up()  # starts the temporary Prefect server: not counted in the per-task figure
    startup = time.perf_counter() - t0
    with session_scope(config.database_url) as session:
        ids = list(session.scalars(select(Action.id).order_by(Action.id).limit(sample)))
    start = time.perf_counter()
    per_action(ids)
    seconds = time.perf_counter() - start
    return {"sample": sample, "seconds": round(seconds, 2), "server_startup_seconds": round(startup, 1),
            "per_action_ms": round(1000 * seconds / sample, 1), "peak_mb": round(peak_mb(), 1)}


def _child(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "benchmarks.bench_remind", *args], capture_output=True, text=True,
                         check=False, env={**os.environ, "PREFECT_HOME": os.environ.get(
                             "PREFECT_HOME", tempfile.mkdtemp(prefix="bench-prefect-"))})
    if out.returncode != 0:
        raise SystemExit(f"benchmark step failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--actions", type=int, default=50_000)
    p.add_argument("--owners", type=int, default=5_000)
    p.add_argument("--naive-sample", type=int, default=200, help="0 to skip the naive comparison")
    p.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--naive", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure, args.owners)))
        return 0
    if args.naive:
        print(json.dumps(naive(args.naive, args.owners, args.naive_sample)))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-remind-") as tmp:
        db = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        build(db, args.actions, args.owners)
        print(f"store: {args.actions:,} actions, {args.owners:,} owners, built in {time.perf_counter() - t0:.1f} s")
        result = _child("--measure", str(db), "--owners", str(args.owners))
        ok = result["seconds"] <= 10 and result["peak_mb"] <= 500
        print(f"dry-run remind: {result['seconds']} s, peak {result['peak_mb']} MB, {result['reminders']:,} "
              f"reminders in {result['messages']:,} digests  [{'OK' if ok else 'OVER TARGET'}: <= 10 s, <= 500 MB]")
        if args.naive_sample:
            n = _child("--naive", str(db), "--owners", str(args.owners), "--naive-sample", str(args.naive_sample))
            projected = n["per_action_ms"] * args.actions / 1000
            print(f"naive (a Prefect task per action): {n['sample']} actions in {n['seconds']} s = "
                  f"{n['per_action_ms']} ms/action (+{n['server_startup_seconds']} s server start); "
                  f"projected for {args.actions:,}: {projected:,.0f} s ({projected / 60:.0f} min), "
                  f"{projected / max(result['seconds'], 0.01):,.0f}x slower")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
