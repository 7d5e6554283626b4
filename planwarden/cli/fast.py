"""The fast path of the read-only commands: `status`, `requests` and `actions`, with or
without `--json`, answered before Typer, rich, pydantic or SQLAlchemy are imported.

Why: on the machine docs/benchmarks.md measures on, importing SQLAlchemy alone costs
more than the 0.3 s a command that runs no flow may take (issue #12), and Typer, rich
and pydantic a third of it each. These commands only read a few tables, so they can be
answered with the database's DB-API driver (stdlib ``sqlite3``; psycopg for PostgreSQL)
and the statements of plan/listing.py, which the full path runs too.

The rule that keeps it honest: the fast path answers only when it is sure to give what
the full path (the Typer command, the reference) would — the same bytes and exit code —
and otherwise returns None *before printing anything*, and the full path runs. It
falls through for: any other command or option form (`--help`, `--plan=`, a repeated
option, `requests approve`, completion), settings not validated since their files
changed (the full path validates them and reports any mistake), `status` facts that are
missing or do not cover today (core/quickconfig.py, orchestration/status.py), a
database URL it does not handle (anything but a SQLite file or a
``postgres[ql][+psycopg]`` URL), a database that does not exist yet or whose stored
migration revision differs from the code's (the full path migrates it), and any error of
the driver (the full path reports it in its words). An unknown plan key is the one mistake
it answers itself, with the full path's line and exit code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from planwarden.cli.output import EXIT_USER_ERROR, fail, print_actions, print_requests, print_status
from planwarden.core.schema import SQLITE_BUSY_SECONDS, STORED_HEADS_SQL, code_heads
from planwarden.plan.listing import Db, UnknownPlan

COMMANDS = ("actions", "requests", "status")  # cli/__init__.py's FAST_COMMANDS names the same
_POSTGRES = re.compile(r"^postgres(?:ql)?(?:\+psycopg)?://")


class FallThrough(Exception):
    """The fast path cannot be sure of the full path's answer: let the full path run."""


def run(argv: Sequence[str]) -> int | None:
    """The command's exit code, having printed its output; None (nothing printed) when
    the full path must run instead."""
    parsed = parse(argv)
    if parsed is None:
        return None
    command, plan, as_json = parsed
    try:
        return _answer(command, plan, as_json)
    except FallThrough:
        return None


def parse(argv: Sequence[str]) -> tuple[str, str | None, bool] | None:
    """(command, --plan KEY, --json) for exactly the forms handled here, else None."""
    if not argv or argv[0] not in COMMANDS:
        return None
    command, rest = argv[0], list(argv[1:])
    plan: str | None = None
    as_json = False
    seen: set[str] = set()
    while rest:
        option = rest.pop(0)
        if option in seen or option not in ("--json", "--plan") or (option == "--plan" and command == "status"):
            return None
        seen.add(option)
        if option == "--json":
            as_json = True
        elif not rest or not rest[0] or rest[0].startswith("-"):
            return None  # a missing or option-like value: Typer's answer, not ours
        else:
            plan = rest.pop(0)
    return command, plan, as_json


def _answer(command: str, plan: str | None, as_json: bool) -> int:
    if command == "status":
        return _status(as_json)
    from planwarden.core.quickconfig import validated_database_url
    from planwarden.plan.listing import actions_json, pending_requests

    with _connected(validated_database_url()) as db:
        try:
            found: list[Any] = pending_requests(db, plan) if command == "requests" else actions_json(db, plan)
        except UnknownPlan as exc:  # only actions checks the key, as its full path does
            return fail(str(exc), EXIT_USER_ERROR)
    (print_requests if command == "requests" else print_actions)(found, as_json)
    return 0


def _status(as_json: bool) -> int:
    """`status` from the facts the full path kept for these settings (none: fall through)."""
    from planwarden.core import quickconfig
    from planwarden.orchestration.status import FACTS, FACTS_CODE, FactsOutOfDate, status_from_facts

    facts = quickconfig.recall(FACTS, FACTS_CODE)
    with _connected(quickconfig.validated_database_url() if facts is not None else None) as db:
        try:
            plans = status_from_facts(db, facts)
        except FactsOutOfDate:
            raise FallThrough from None
    print_status(plans, as_json)
    return 0


@contextmanager
def _connected(url: str | None) -> Iterator[Db]:
    """A read connection to the database at ``url`` at the code's schema revision, or
    FallThrough. Any error of the driver falls through: the full path reports it."""
    if url is None:
        raise FallThrough
    if url.startswith("sqlite:///"):
        opened = _sqlite(url)
    elif _POSTGRES.match(url):
        opened = _postgres(url)
    else:
        raise FallThrough
    conn, db, errors = opened
    try:
        try:
            stored = frozenset(v for (v,) in db.rows(STORED_HEADS_SQL))
        except errors:
            raise FallThrough from None
        if stored != code_heads():
            raise FallThrough
        try:
            yield db
        except errors:
            raise FallThrough from None
    finally:
        conn.close()


def _sqlite(url: str) -> tuple[Any, Db, type[Exception]]:
    """The file as it is (a missing one is never created here: the full path creates and
    migrates it), waiting for a writer as the full path does, all reads in one snapshot."""
    import sqlite3
    from urllib.parse import quote

    path = url.removeprefix("sqlite:///")
    if not path or path.startswith(":memory:") or "?" in path or "%" in path:
        raise FallThrough
    try:
        conn = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, timeout=SQLITE_BUSY_SECONDS,
                               isolation_level=None)
        conn.execute("BEGIN")
    except sqlite3.Error:
        raise FallThrough from None
    return conn, Db.of_dbapi(conn, "sqlite"), sqlite3.Error


def _postgres(url: str) -> tuple[Any, Db, type[Exception]]:
    """psycopg, as the full path uses it (core/db.py: postgres[ql]:// means psycopg 3)."""
    if url.split("://", 1)[1].rsplit("@", 1)[0].count("@"):
        raise FallThrough  # an unencoded '@': the full path names the mistake
    try:
        import psycopg
    except ImportError:
        raise FallThrough from None
    try:
        conn = psycopg.connect(_POSTGRES.sub("postgresql://", url), connect_timeout=10)  # one transaction
    except psycopg.Error:
        raise FallThrough from None
    return conn, Db.of_dbapi(conn, "postgresql"), psycopg.Error
