"""A Prefect server on its own PostgreSQL database and `process` workers, on loopback,
without Docker: what deploy/ sets up on a real machine, started by the tests.

Kept lean for CI: one server per test module, the scheduler and the UI off (runs are
triggered by the test), workers polling every second.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from servers import free_port

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


@contextmanager
def scratch_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A new PostgreSQL database (``<prefix>_<random>``), dropped afterwards; yields its name."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_for(what: str, check: Callable[[], Any], timeout: float, logs: list[Path], every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with suppress(httpx.HTTPError):
            if result := check():
                return result
        time.sleep(every)
    tails = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2500:]}" for p in logs if p.exists())
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{tails}")


@dataclass
class Cluster:
    api: str
    env: dict[str, str]
    home: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def log(self, name: str) -> Path:
        return self.home / f"{name}.log"

    @property
    def logs(self) -> list[Path]:
        return [self.log(n) for n in self.processes]

    def start(self, name: str, *argv: str) -> subprocess.Popen[bytes]:
        with self.log(name).open("ab") as out:
            proc = subprocess.Popen(list(argv), env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True, cwd=REPO)
        self.processes[name] = proc
        return proc

    def run(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        out = subprocess.run(list(argv), env=self.env, capture_output=True, text=True, timeout=timeout, cwd=REPO)
        assert out.returncode == 0, f"{' '.join(argv)} failed:\n{out.stdout}\n{out.stderr}"
        return out

    def start_worker(self, name: str, pool: str = "planwarden") -> None:
        self.start(name, str(BIN / "prefect"), "worker", "start", "--pool", pool, "--type", "process",
                   "--name", name)

    def kill_tree(self, name: str, sig: int = signal.SIGTERM) -> None:
        """Signal a process and everything under it, as a machine or container shutdown does."""
        proc = self.processes[name]
        for pid in [proc.pid, *descendants(proc.pid)]:
            with suppress(ProcessLookupError):
                os.kill(pid, sig)

    def stop_worker_mid_run(self, name: str, timeout: float = 60) -> None:
        """The worker's machine goes away under a run: the worker freezes, then dies
        (SIGKILL) without a chance to touch its runs; each flow run process gets the
        SIGTERM a shutting-down machine or container sends, and hands its run back to the
        pool (PREFECT_FLOW_RUN_EXECUTE_SIGTERM_BEHAVIOR=reschedule, set by the deploy step)."""
        top = self.processes[name].pid
        runs = [p for p in descendants(top) if "flow-run execute" in _cmdline(p)]
        inside = {q for p in runs for q in [p, *descendants(p)]}
        worker = [p for p in [top, *descendants(top)] if p not in inside]
        for pid in worker:
            os.kill(pid, signal.SIGSTOP)
        for pid in runs:
            os.kill(pid, signal.SIGTERM)
        wait_for("the flow run processes to stop", lambda: not any(_alive(p) for p in runs), timeout, self.logs, 0.2)
        for pid in worker:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.processes[name].wait(10)

    def stop(self) -> None:
        """SIGTERM everything, a few seconds' grace, then SIGKILL what is left."""
        for name, proc in self.processes.items():
            if proc.poll() is None:
                self.kill_tree(name)
        deadline = time.monotonic() + 5
        for name, proc in self.processes.items():
            with suppress(subprocess.TimeoutExpired):
                proc.wait(max(deadline - time.monotonic(), 0.1))
            if proc.poll() is None:
                self.kill_tree(name, signal.SIGKILL)
                proc.wait(5)

    # ------------------------------------------------------------------ the API

    def get(self, path: str) -> Any:
        return httpx.get(f"{self.api}{path}", timeout=10).raise_for_status().json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return httpx.post(f"{self.api}{path}", json=body, timeout=10).raise_for_status().json()

    def deployment(self, flow: str, name: str) -> dict[str, Any]:
        return self.get(f"/deployments/name/{flow}/{name}")

    def trigger(self, flow: str, name: str, **parameters: Any) -> str:
        dep = self.deployment(flow, name)
        run = self.post(f"/deployments/{dep['id']}/create_flow_run", {"parameters": parameters})
        return str(run["id"])

    def flow_run(self, run_id: str) -> dict[str, Any]:
        return self.get(f"/flow_runs/{run_id}")

    def states(self, run_id: str) -> list[str]:
        rows = self.get(f"/flow_run_states/?flow_run_id={run_id}")
        return [r["type"] for r in sorted(rows, key=lambda r: r["timestamp"])]

    def wait_final(self, run_ids: list[str], timeout: float = 180) -> dict[str, dict[str, Any]]:
        def done() -> dict[str, dict[str, Any]] | None:
            runs = {r: self.flow_run(r) for r in run_ids}
            return runs if all(r["state_type"] in FINAL for r in runs.values()) else None
        try:
            return wait_for("the flow runs to finish", done, timeout, self.logs)
        except AssertionError as exc:
            history = {r: [(s["type"], s["name"]) for s in self.get(f"/flow_run_states/?flow_run_id={r}")]
                       for r in run_ids}
            raise AssertionError(f"{exc}\nstates: {history}") from None


def _process_tree() -> dict[int, list[int]]:
    """Parent pid -> child pids, from /proc (no psutil needed)."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _cmdline(pid: int) -> str:
    with suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return ""


def _alive(pid: int) -> bool:
    """Running and not a zombie."""
    with suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return False


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``."""
    tree = _process_tree()
    out, todo = [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


@contextmanager
def prefect_cluster(admin_url: str, home: Path, extra_env: dict[str, str]) -> Iterator[Cluster]:
    """A Prefect server on a fresh PostgreSQL database, stopped and dropped afterwards."""
    host = admin_url.split("@", 1)[1].split("/", 1)[0]
    user = admin_url.split("//", 1)[1].split("@", 1)[0]
    with scratch_database(admin_url, "planwarden_prefect") as dbname:
        port = free_port()
        home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update({
            "PREFECT_HOME": str(home / "prefect"), "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_UI_ENABLED": "false",
            "PREFECT_API_DATABASE_CONNECTION_URL": f"postgresql+asyncpg://{user}@{host}/{dbname}",
            "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
            "PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED": "false",
            "PREFECT_SERVER_SERVICES_FOREMAN_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_HEARTBEAT_SECONDS": "5",
            "PREFECT_LOGGING_LEVEL": "INFO", "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            **extra_env,
        })
        cluster = Cluster(env["PREFECT_API_URL"], env, home)
        try:
            cluster.start("server", str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                          "--port", str(port), "--analytics-off")
            wait_for("the Prefect server", lambda: httpx.get(f"{cluster.api}/health", timeout=2).status_code == 200,
                     180, cluster.logs)
            yield cluster
        finally:
            cluster.stop()
