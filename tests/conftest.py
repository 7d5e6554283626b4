"""Shared fixtures: an isolated environment, a fixed clock, SQLite and PostgreSQL stores.

PostgreSQL tests use the server on 127.0.0.1:5432 (or PLANWARDEN_TEST_POSTGRES_URL),
each test in a schema of its own. Where no server is reachable they skip with a
message saying how to enable them, except under CI=true, where they fail.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import tempfile

import pytest

# Prefect reads these at import: an explicit home, no analytics (no network here), and time
# for the local server to start on a cold machine. Set before anything imports prefect.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="planwarden-prefect-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")

from planwarden.core import clock as clock_module
from planwarden.core.clock import FixedClock

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
EXAMPLE = REPO / "config" / "examples" / "jtai"
PG_URL = os.environ.get("PLANWARDEN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_HOW = ("PostgreSQL is not reachable at {url}: start it (pg_ctlcluster --skip-systemctl-redirect "
          "$(ls /etc/postgresql) main start) or point PLANWARDEN_TEST_POSTGRES_URL at a server")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test sees the developer's own config, data folder or database."""
    for name in ("PLANWARDEN_CONFIG", "PLANWARDEN_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("PLANWARDEN_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    return home


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    fixed = FixedClock(dt.datetime(2022, 12, 14, 9, 0, tzinfo=dt.timezone.utc))
    previous = clock_module.set_clock(fixed)
    yield fixed
    clock_module.set_clock(previous)


def _postgres_reachable() -> str | None:
    import psycopg

    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        psycopg.connect(plain, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        return str(exc).splitlines()[0]
    return None


@pytest.fixture(scope="session")
def postgres_available() -> str | None:
    problem = _postgres_reachable()
    if problem and os.environ.get("CI") == "true":
        pytest.fail(PG_HOW.format(url=PG_URL) + f" ({problem}); under CI=true PostgreSQL tests must run")
    return problem


@pytest.fixture
def pg_url(postgres_available: str | None) -> Iterator[str]:
    """A fresh schema on the PostgreSQL server, dropped afterwards."""
    if postgres_available:
        pytest.skip(PG_HOW.format(url=PG_URL))
    import psycopg

    from planwarden.core import db

    schema = f"pw_{uuid.uuid4().hex[:12]}"
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    yield url
    db.forget(url)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    from planwarden.core import db

    url = f"sqlite:///{tmp_path / 'planwarden.db'}"
    yield url
    db.forget(url)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def jtai_env(monkeypatch: pytest.MonkeyPatch, db_url: str) -> str:
    """The jtai example config, on the database under test."""
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(EXAMPLE / "planwarden.toml"))
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", db_url)
    return db_url


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for the whole session (starting one costs ~12 s)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
