"""What every command shares: the --json option, config, printing, progress, errors.

Kept light on purpose: importing this module pulls in Typer's option markers only. rich,
the config, the database and everything else load inside the functions that need them,
so `planwarden --help` and commands that run no flow start fast. Printing (JSON, tables,
the error line) lives in cli/output.py, which the fast path shares without Typer.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Annotated

import typer

from planwarden.cli.output import (EXIT_INTERRUPTED, EXIT_SYSTEM_ERROR, EXIT_USER_ERROR, RAG_STYLES, fail,
                                   print_json, print_table)

if TYPE_CHECKING:
    from rich.console import Console

    from planwarden.core.config import Config

__all__ = ["EXIT_INTERRUPTED", "EXIT_SYSTEM_ERROR", "EXIT_USER_ERROR", "RAG_STYLES", "Json", "PlanKey",
           "SystemFailure", "UserError", "console", "database_url", "date_option", "deliver_now", "exit_code_for",
           "fail", "load", "mail_outage", "print_json", "print_table", "progress", "warn"]

# The one --json option every command that prints data takes (`def cmd(..., json: Json = False)`).
Json = Annotated[bool, typer.Option("--json", help="Print one machine-readable JSON document.")]
# Options several commands share.
PlanKey = Annotated[str | None, typer.Option("--plan", metavar="KEY", help="The plan's key.")]


class UserError(Exception):
    """Bad input from the person running the command: printed plainly, exit 2."""


class SystemFailure(Exception):
    """A service could not be reached: printed plainly, exit 3 (nothing was lost)."""


def date_option(text: str | None, flag: str = "--today") -> dt.date | None:
    """A YYYY-MM-DD option's value, or a UserError naming the flag."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{flag} must be a date like 2023-02-08 (YYYY-MM-DD), not {text!r}") from None


def mail_outage(reasons: Sequence[str | None]) -> int:
    """Exit 3 with one line when delivery could not reach the mail service (mail stays queued)."""
    reason = next((r for r in reasons if r), None)
    if reason is None:
        return 0
    return fail(f"the mail service could not be reached ({reason}); the mail stays queued and is sent "
                "by the next run (planwarden status shows it)", EXIT_SYSTEM_ERROR)


def load() -> Config:
    """The validated config (raises ConfigError naming file, key and reason)."""
    from planwarden.core.config import load_config
    return load_config()


def database_url() -> str:
    """The database URL alone, for read-only commands: the settings are validated in full
    only when their files changed since they last validated (core/quickconfig.py)."""
    from planwarden.core.quickconfig import database_url as url
    return url()


def console(stderr: bool = False) -> Console:
    """A rich console on the current stdout/stderr. Markup is off, so text that came from
    mail or a spreadsheet is printed as written; colour only when it is a terminal."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    wide = None if stream.isatty() else 200  # piped or captured: do not cut lines at 80
    return Console(file=stream, markup=False, highlight=False, soft_wrap=False, width=wide)


@contextlib.contextmanager
def progress(label: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A progress bar (or a spinner when ``total`` is unknown) on standard error, shown only
    when it is a terminal; yields ``advance(n)``. Standard output stays clean for --json."""
    if not sys.stderr.isatty():
        yield lambda _n=1: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = [SpinnerColumn(), TextColumn("{task.description}")]
    if total is not None:
        columns += [BarColumn(), MofNCompleteColumn()]
    with Progress(*columns, TimeElapsedColumn(), console=console(stderr=True), transient=True,
                  redirect_stdout=sys.stdout.isatty(), redirect_stderr=False) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n=1: bar.advance(task, n)


def deliver_now(config: Config) -> None:
    """Send what a command just queued (confirmations, a pack) instead of leaving it for
    the next scheduled run. A mail server that is down is not an error here: the mail
    stays queued and the next run sends it."""
    from planwarden.mail.factory import deliver_queued

    with progress("Delivering queued mail"):
        stats = deliver_queued(config)
    if stats.unavailable:
        warn("the mail server could not be reached; the mail stays queued and is sent on the next run")


def warn(message: str) -> None:
    print(f"planwarden: warning: {message}", file=sys.stderr)


def exit_code_for(exc: BaseException) -> int | None:
    """The one error-to-exit-code mapping (docs/cli.md): a person's mistake → 2 with one
    readable line, an unreachable service → 3, Ctrl-C → 130. None: a bug, let it raise."""
    from planwarden.core.configfile import ConfigError
    from planwarden.core.db import DatabaseUnavailable
    from planwarden.importing.errors import ImportFormatError
    from planwarden.plan.listing import UnknownPlan

    if isinstance(exc, (UserError, ImportFormatError, UnknownPlan)):
        return fail(str(exc), EXIT_USER_ERROR)
    if isinstance(exc, ConfigError):
        return fail(f"configuration error: {exc}", EXIT_USER_ERROR)
    if isinstance(exc, (DatabaseUnavailable, SystemFailure)):
        return fail(str(exc), EXIT_SYSTEM_ERROR)
    if _is_database_outage(exc):  # read-only, full, locked, gone: one line naming it, exit 3
        from planwarden.core.db import describe
        return fail(describe(exc), EXIT_SYSTEM_ERROR)
    delivery = sys.modules.get("planwarden.mail.delivery")  # loaded by whatever raised it
    if delivery is not None and isinstance(exc, delivery.MailUnavailable):
        return fail(str(exc), EXIT_SYSTEM_ERROR)
    if isinstance(exc, KeyboardInterrupt):
        return fail("interrupted", EXIT_INTERRUPTED)
    return None


def _is_database_outage(exc: BaseException) -> bool:
    """An OperationalError or DatabaseError (read-only, full, locked, gone away, timed out)
    is the database's, not the user's."""
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    return sqlalchemy_exc is not None and isinstance(exc, (sqlalchemy_exc.OperationalError,
                                                            sqlalchemy_exc.DatabaseError))
