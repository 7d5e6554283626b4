"""`planwarden serve` with the example config: it starts its own Prefect server, the
scheduler creates runs at the right local times, and the served flows run."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from servers import free_port

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "examples" / "jtai" / "planwarden.toml"


def _wait(what: str, check: Any, timeout: float, proc: subprocess.Popen[bytes], log: Path) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"serve exited early ({proc.returncode}) while waiting for {what}:\n{log.read_text()[-3000:]}")
        try:
            result = check()
        except httpx.HTTPError:
            result = None
        if result:
            return result
        time.sleep(1)
    pytest.fail(f"timed out waiting for {what}:\n{log.read_text()[-3000:]}")


@pytest.mark.slow
def test_serve_schedules_every_flow_in_london_time_and_runs_them(tmp_path: Path) -> None:
    port, web_port = free_port(), free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(PLANWARDEN_CONFIG=str(EXAMPLE), PLANWARDEN_HOME=str(tmp_path / "home"),
               PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="5", PREFECT_HOME=str(tmp_path / "prefect-client"))
    log = tmp_path / "serve.log"
    exe = Path(sys.executable).parent / "planwarden"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--web-port", str(web_port)], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deployments = _wait("the five deployments", lambda: _deployments(api), 180, proc, log)
        assert set(deployments) == {"reminders-jtai", "replies-jtai", "board-pack-jtai", "calendar-jtai", "outbox-jtai"}
        login = httpx.get(f"http://127.0.0.1:{web_port}/login", timeout=10)  # the console is served too
        assert login.status_code == 200 and 'name="password"' in login.text
        runs = _wait("scheduled reminder runs", lambda: _scheduled(api, deployments["reminders-jtai"]), 90, proc, log)
        london = [dt.datetime.fromisoformat(r["expected_start_time"]).astimezone(ZoneInfo("Europe/London"))
                  for r in runs]
        assert all((t.hour, t.minute) == (8, 0) and t.weekday() < 5 for t in london), london
        run = httpx.post(f"{api}/deployments/{deployments['calendar-jtai']}/create_flow_run", json={}).json()
        assert "id" in run, run
        state = _wait("the calendar run to finish", lambda: _final_state(api, run["id"]), 120, proc, log)
        assert state == "COMPLETED", log.read_text()[-3000:]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    with pytest.raises(httpx.HTTPError):  # the local Prefect server went with it
        httpx.get(f"{api}/health", timeout=2)


def _deployments(api: str) -> dict[str, str] | None:
    rows = httpx.post(f"{api}/deployments/filter", json={}, timeout=5).json()
    found = {d["name"]: d["id"] for d in rows}
    return found if len(found) >= 5 else None


def _scheduled(api: str, deployment_id: str) -> list[dict[str, Any]] | None:
    body = {"flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}, "deployments": {"id": {"any_": [deployment_id]}}}
    rows = httpx.post(f"{api}/flow_runs/filter", json=body, timeout=5).json()
    return rows or None


def _final_state(api: str, run_id: str) -> str | None:
    state = httpx.get(f"{api}/flow_runs/{run_id}", timeout=5).json()["state"]["type"]
    return state if state in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"} else None
