"""The console on a 2,000-action plan: page render times, and 20 users browsing at once.

Targets: the plan page and the dashboard in at most 150 ms; 20 concurrent users browsing
for a minute get no error. The console runs as `planwarden web` in a process of its own
(as in use); times are measured by the client over loopback, so they include HTTP.
``BENCH_CONSOLE_SECONDS`` shortens the load phase (default 60). Run with
``.venv/bin/python -m benchmarks.bench_console``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.bench_pack import _setup_env, synthetic_plan

USERS, PASSWORD = 20, "benchmark password"


def _seed(actions: int = 2000) -> list[str]:
    from planwarden.core import clock
    from planwarden.core.config import load_config
    from planwarden.core.db import session_scope
    from planwarden.plan.directory import Directory
    from planwarden.importing.writer import PlanWriter
    from planwarden.web.accounts import add_user

    config = load_config()
    previous = clock.set_clock(clock.FixedClock(dt.datetime(2023, 1, 10, 9, tzinfo=dt.timezone.utc)))
    try:
        for shift, day in ((0, dt.date(2023, 1, 10)), (1, dt.date(2023, 2, 10))):
            clock.set_clock(clock.FixedClock(dt.datetime.combine(day, dt.time(9), dt.timezone.utc)))
            with session_scope(config.database_url) as session:
                plan = synthetic_plan(actions, update_date=day, rag_shift=shift)
                PlanWriter(session, config.plan("jtai"), Directory(config.directory), actor="bench",
                           source="manual", source_ref="bench").write(plan)
        with session_scope(config.database_url) as session:
            add_user(session, "bench@example.org", "Bench", "secretary", PASSWORD)
    finally:
        clock.set_clock(previous)
    return [a.ref for a in plan.actions]


def _start(port: int) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).parent / "planwarden"
    proc = subprocess.Popen([str(exe), "web", "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, "PLANWARDEN_WEB_SECRET": "bench"})
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the console did not start")


def _client(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    r = client.post("/login", data={"email": "bench@example.org", "password": PASSWORD, "csrf_token": token.group(1)})
    assert r.status_code in (200, 303), r.status_code
    return client


def _timed(client: httpx.Client, path: str, n: int) -> dict[str, float]:
    client.get(path)  # warm
    times = []
    for _ in range(n):
        start = time.perf_counter()
        r = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200, (path, r.status_code)
    times.sort()
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * (n - 1))], 1),
            "bytes": len(r.content)}


def _browse(base: str, refs: list[str], seconds: float, start: threading.Barrier, out: list[tuple[int, float]],
            seed: int) -> None:
    rnd = random.Random(seed)
    pages = ["/", "/plans/jtai", "/plans/jtai?rag=red", "/plans/jtai?sort=due&desc=1", "/plans/jtai?page=7",
             "/quarantine", "/requests", "/packs", "/api/dashboard"]
    with contextlib.closing(_client(base)) as client:
        start.wait()
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            path = rnd.choice(pages) if rnd.random() < 0.6 else f"/plans/jtai/actions/{rnd.choice(refs)}"
            start = time.perf_counter()
            try:
                status = client.get(path).status_code
            except httpx.HTTPError:
                status = 0
            out.append((status, (time.perf_counter() - start) * 1000))


def main() -> dict[str, Any]:
    from tests.servers import free_port  # noqa: PLC0415 - the one free_port helper

    seconds = float(os.environ.get("BENCH_CONSOLE_SECONDS", "60"))
    with tempfile.TemporaryDirectory(prefix="planwarden-bench-console-") as tmp:
        _setup_env(Path(tmp))
        refs = _seed()
        port = free_port()
        proc = _start(port)
        base = f"http://127.0.0.1:{port}"
        try:
            with contextlib.closing(_client(base)) as client:
                render = {"plan_page": _timed(client, "/plans/jtai", 20), "dashboard": _timed(client, "/", 20),
                          "action_page": _timed(client, f"/plans/jtai/actions/{refs[len(refs) // 2]}", 20)}
            print(f"render, 2,000 actions: {render}", flush=True)
            results: list[tuple[int, float]] = []
            start = threading.Barrier(USERS)  # everyone logged in, then a minute of browsing
            threads = [threading.Thread(target=_browse, args=(base, refs, seconds, start, results, i))
                       for i in range(USERS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            proc.terminate()
            proc.wait(30)
    times = sorted(ms for _, ms in results)
    load = {"users": USERS, "seconds": seconds, "requests": len(results),
            "errors": sum(1 for status, _ in results if status != 200),
            "median_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1)}
    print(f"load: {load}", flush=True)
    return {"render": render, "load": load, "targets": {"render_ms": 150, "errors": 0}}


if __name__ == "__main__":
    main()
