"""Database engines and sessions. Migrations are applied automatically on first use.

Two processes starting at once must not both migrate: PostgreSQL takes an advisory
lock, SQLite a file lock beside the database file.
"""

from __future__ import annotations

import contextlib
import fcntl
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
_ADVISORY_KEY = 0x706C616E  # "plan"
_engines: dict[str, Engine] = {}


class DatabaseUnavailable(Exception):
    """The database cannot be reached: a message for people, without secrets."""


def redact_url(url: str) -> str:
    """The URL with any password replaced, safe to print or log."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _normalise(url: str) -> str:
    """postgres:// and postgresql:// mean psycopg 3 here."""
    return re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)


def engine_for(url: str) -> Engine:
    """One migrated engine per URL per process."""
    url = _normalise(url)
    if url not in _engines:
        engine = _create(url)
        migrate(engine)
        _engines[url] = engine
    return _engines[url]


def forget(url: str) -> None:
    """Dispose of one URL's engine (tests drop their databases afterwards)."""
    engine = _engines.pop(_normalise(url), None)
    if engine is not None:
        engine.dispose()


def dispose_all() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


def _create(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(f"not a database URL: {redact_url(url)}") from None
    kwargs: dict[str, Any] = {"future": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"connect_timeout": 10}
    try:
        engine = create_engine(url, **kwargs)
    except (ImportError, SQLAlchemyError) as exc:
        raise DatabaseUnavailable(f"cannot use {redact_url(url)}: {type(exc).__name__}") from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN itself
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    """BEGIN IMMEDIATE: a writer takes the lock up front, so two runs serialise
    instead of both reading the same state and one failing at commit."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision, once, whoever else is starting."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with _migration_lock(engine), engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
            conn.commit()
    except OperationalError as exc:
        raise DatabaseUnavailable(
            f"cannot reach the database at {redact_url(str(engine.url.render_as_string(hide_password=True)))}: "
            f"{_first_line(exc)}") from None


def _first_line(exc: OperationalError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _ADVISORY_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_KEY})
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(engine_for(url), expire_on_commit=False)


@contextlib.contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A transaction: committed on success, rolled back on any error."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
