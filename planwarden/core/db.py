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
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from planwarden.core.schema import MIGRATIONS, SQLITE_BUSY_SECONDS, STORED_HEADS_SQL, code_heads

if TYPE_CHECKING:  # the ORM is imported where a session is made: read-only listings do without it
    from sqlalchemy.orm import Session, sessionmaker

_ADVISORY_KEY = 0x706C616E  # "plan"
_engines: dict[str, Engine] = {}


class DatabaseUnavailable(Exception):
    """The database cannot be reached: a message for people, without secrets."""


def redact_url(url: str) -> str:
    """The URL with any password replaced, safe to print or log.

    Up to the *last* ``@``: a password written with an unencoded ``@`` (``p@ss``) is
    hidden whole, never as ``***@ss@host``.
    """
    return re.sub(r"(://[^:/@]*):.*@(?=[^@]*$)", r"\1:***@", url)


def _unencoded_at(url: str) -> bool:
    """More than one ``@`` before the path: part of the password would be read as the host."""
    rest = url.split("://", 1)[1] if "://" in url else ""
    return rest.rsplit("@", 1)[0].count("@") > 0 if "@" in rest else False


def _password_pieces(url: str) -> list[str]:
    """Every fragment of the password that could show up in a driver's message."""
    found = re.match(r"^[\w+.-]+://[^:/@]*:(?P<pw>.*)@[^@]*$", url)
    if not found or not found.group("pw"):
        return []
    pw = found.group("pw")
    return sorted({pw, *(p for p in re.split(r"[@:/]", pw) if len(p) >= 2)}, key=len, reverse=True)


def scrub(message: str, url: str) -> str:
    """A message with the URL's password (and any piece of it) removed."""
    for piece in _password_pieces(url):
        message = message.replace(piece, "***")
    return message


def describe(exc: BaseException, url: str | None = None) -> str:
    """One line for people: which database, what is wrong; never a password."""
    url = url or (next(iter(_engines)) if len(_engines) == 1 else "")
    where = _where(url)
    raw = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    low = raw.lower()
    if "locked" in low:
        cause = "is locked by another planwarden process (try again when it has finished)"
    elif "readonly" in low or "read-only" in low or "read only" in low:
        cause = "is read-only (check the file's and folder's permissions)"
    elif "disk is full" in low or "no space" in low or "database or disk is full" in low:
        cause = "cannot be written: the disk is full"
    elif "unable to open" in low:
        cause = "cannot be opened (the folder is missing or not writable)"
    else:
        cause = f"cannot be used: {raw}"
    return scrub(f"database {where} {cause}; nothing was changed", url)


def _where(url: str) -> str:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return redact_url(url) or "(unknown)"
    if parsed.get_backend_name() == "sqlite":
        return str(parsed.database or ":memory:")
    return redact_url(url)


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
    if _unencoded_at(url):
        raise DatabaseUnavailable("the database URL has an unencoded '@' in its user name or password: write it "
                                  "as %40 (database_url in the config file, or PLANWARDEN_DATABASE_URL)")
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise DatabaseUnavailable(f"not a database URL: {redact_url(url)}") from None
    kwargs: dict[str, Any] = {"future": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnavailable(f"database {parsed.database}: cannot create its folder {folder} "
                                          f"({exc.strerror or type(exc).__name__})") from None
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_SECONDS}
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"connect_timeout": 10}
    try:
        engine = create_engine(url, **kwargs)
    except (ImportError, SQLAlchemyError) as exc:
        raise DatabaseUnavailable(scrub(f"cannot use {redact_url(url)}: {type(exc).__name__}", url)) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" event issue BEGIN itself
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_SECONDS * 1000)}")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    """BEGIN IMMEDIATE: a writer takes the lock up front, so two runs serialise
    instead of both reading the same state and one failing at commit."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def stored_heads(engine: Engine) -> frozenset[str] | None:
    """The revisions the database says it is at; None when it has none yet (or cannot say)."""
    try:
        with engine.connect() as conn:
            return frozenset(conn.execute(text(STORED_HEADS_SQL)).scalars())
    except SQLAlchemyError:
        return None


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision, once, whoever else is starting. One quick
    query first: when the stored revisions are the code's, alembic is not even imported."""
    if stored_heads(engine) == code_heads():
        return
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
        url = engine.url.render_as_string(hide_password=False)
        if engine.dialect.name == "sqlite":
            raise DatabaseUnavailable(describe(exc, url)) from None
        raise DatabaseUnavailable(scrub(f"cannot reach the database at {redact_url(url)}: {_first_line(exc)}",
                                        url)) from None


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
    from sqlalchemy.orm import sessionmaker
    return sessionmaker(engine_for(url), expire_on_commit=False)


@contextlib.contextmanager
def connection_scope(url: str) -> Iterator[Connection]:
    """A Core connection in a transaction, for reads that need no ORM (its import and
    mapper set-up are most of a read-only command's start): committed on success."""
    with engine_for(url).connect() as conn:
        yield conn
        conn.commit()


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
