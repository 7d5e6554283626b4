"""Running the console: in the foreground (`planwarden web`) or beside the flows (`planwarden serve`)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from pathlib import Path

from sqlalchemy import select

from planwarden.core import clock
from planwarden.core.config import Config

log = logging.getLogger(__name__)


def _server(config: Config, host: str, port: int) -> "uvicorn.Server":  # type: ignore[name-defined]  # noqa: F821
    import uvicorn

    from planwarden.web.app import create_app

    app = create_app(config)
    return uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                                         server_header=False))


def run(config: Config, host: str = "127.0.0.1", port: int = 8470) -> None:
    log.info("console on http://%s:%d/ (log in at /login)", host, port)
    _server(config, host, port).run()


def start_in_background(config: Config, host: str = "127.0.0.1", port: int = 8470) -> threading.Thread:
    """The console in a daemon thread, for `planwarden serve`: it ends with the service."""
    server = _server(config, host, port)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # serve owns the signals
    thread = threading.Thread(target=server.run, name="planwarden-web", daemon=True)
    thread.start()
    log.info("console on http://%s:%d/ (log in at /login)", host, port)
    return thread


class ShiftedClock:
    """Real time moved to start at a given local morning: the demo's data is from 2022–23."""

    def __init__(self, day: "dt.date", tz: str = "Europe/London") -> None:
        self._offset = clock.at_local(day, tz, 9) - clock.SystemClock().now()

    def now(self) -> "dt.datetime":
        return clock.SystemClock().now() + self._offset


DEMO_EMAIL, DEMO_DAY = "secretary@example.org", "2023-01-04"


def prepare_demo(folder: Path) -> tuple[str, str]:
    """Point the console at a `planwarden demo` folder; a fresh password for its demo account each start."""
    import secrets

    from planwarden.orchestration.demo import EXAMPLE, MARKER
    from planwarden.web.accounts import add_user, hash_password
    from planwarden.web.models import User

    if not (folder / MARKER).exists():
        raise DemoFolderError(f"{folder} is not a folder `planwarden demo` made: run `make demo` first")
    os.environ["PLANWARDEN_CONFIG"] = str(EXAMPLE / "planwarden.toml")
    os.environ["PLANWARDEN_HOME"] = str(folder / "data")
    os.environ.pop("PLANWARDEN_DATABASE_URL", None)
    clock.set_clock(ShiftedClock(dt.date.fromisoformat(DEMO_DAY)))
    password = secrets.token_urlsafe(12)
    from planwarden.core.config import load_config
    from planwarden.core.db import session_scope

    with session_scope(load_config().database_url) as session:
        user = session.scalar(select(User).where(User.email == DEMO_EMAIL))
        if user is None:
            add_user(session, DEMO_EMAIL, "Rachel Hughes (demo)", "admin", password)
        else:
            user.password_hash = hash_password(password)
    return DEMO_EMAIL, password


class DemoFolderError(Exception):
    """The folder given to --demo is not a demo's."""
