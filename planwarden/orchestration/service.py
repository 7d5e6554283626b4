"""`planwarden serve`: every flow deployed on its schedule, on one machine.

Prefect's scheduler does not run in its ephemeral mode, so when no PREFECT_API_URL is
set we start a local Prefect server ourselves (SQLite under the data folder, analytics
off), wait until it answers, serve the deployments against it, and stop it on exit.
With PREFECT_API_URL set (a shared server on PostgreSQL, see deploy/) we only serve.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from planwarden.core.config import Config
from planwarden.core.log import get_logger
from planwarden.orchestration.deploy import build_deployments, deployment_specs, ensure_plan_limits
from planwarden.orchestration.secrets import load_secret_blocks

log = get_logger(__name__)


class ServiceError(Exception):
    """The service cannot start: a message for the operator."""


def _free_port(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


class LocalPrefectServer:
    """A Prefect server subprocess owned by `planwarden serve`."""

    def __init__(self, home: Path, port: int) -> None:
        self.home, self.port = home, port
        self.url = f"http://127.0.0.1:{port}/api"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> None:
        if not _free_port(self.port):
            raise ServiceError(f"port {self.port} is already in use: pass --port, or set PREFECT_API_URL "
                               "to use a Prefect server that is already running")
        self.home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env.update(PREFECT_HOME=str(self.home), PREFECT_SERVER_ANALYTICS_ENABLED="false",
                   PREFECT_UI_API_URL=self.url)
        prefect = shutil.which("prefect", path=str(Path(sys.executable).parent)) or "prefect"
        self.log_file = (self.home / "server.log").open("ab")
        self.process = subprocess.Popen(
            [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(self.port), "--analytics-off"],
            env=env, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait(timeout)

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise ServiceError(f"the local Prefect server exited; see {self.home / 'server.log'}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            time.sleep(0.5)
        self.stop()
        raise ServiceError(f"the local Prefect server did not answer within {timeout:.0f} s; "
                           f"see {self.home / 'server.log'}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None

    def watch(self) -> None:
        """If the server dies under us, stop serving so a supervisor restarts everything."""
        def run() -> None:
            while self.process is not None and self.process.poll() is None:
                time.sleep(2)
            if self.process is not None:
                log.error("the local Prefect server stopped; shutting down")
                os.kill(os.getpid(), signal.SIGTERM)
        threading.Thread(target=run, name="prefect-server-watch", daemon=True).start()


@contextlib.contextmanager
def prefect_api(config: Config, port: int) -> Iterator[str]:
    """PREFECT_API_URL if set, else a local server we start and stop."""
    if os.environ.get("PREFECT_API_URL"):
        yield os.environ["PREFECT_API_URL"]
        return
    server = LocalPrefectServer(config.data_dir / "prefect", port)
    server.start()
    os.environ["PREFECT_API_URL"] = server.url
    os.environ.setdefault("PREFECT_HOME", str(server.home))
    try:
        server.watch()
        yield server.url
    finally:
        server.stop()


def serve(config: Config, *, port: int = 4200, limit: int = 4) -> None:
    """Deploy every flow on its schedule and run them until interrupted."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    with prefect_api(config, port) as url:
        print(f"planwarden serve: Prefect API at {url} (UI: {url.removesuffix('/api')})", flush=True)
        from prefect import serve as prefect_serve

        load_secret_blocks(config)  # fail at start-up, not at the first scheduled run
        ensure_plan_limits(config)
        deployments = build_deployments(config)
        for spec in deployment_specs(config):
            print(f"  {spec.name}: '{spec.cron}' ({spec.timezone})", flush=True)
        prefect_serve(*deployments, limit=limit, pause_on_shutdown=False, print_starting_message=False)
