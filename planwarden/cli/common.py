"""What every command shares: loading config, opening the store, printing, errors."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

EXIT_USER_ERROR = 2
EXIT_SYSTEM_ERROR = 3


class UserError(Exception):
    """Bad input from the person running the command: printed plainly, exit 2."""


def run_handler(args: argparse.Namespace) -> int:
    """Run the chosen command; turn known failures into one clear line, no trace dump."""
    from sqlalchemy.exc import DatabaseError, OperationalError

    from planwarden.core.config import ConfigError
    from planwarden.core.db import DatabaseUnavailable, describe
    from planwarden.importing.errors import ImportFormatError
    from planwarden.mail.delivery import MailUnavailable
    from planwarden.plan.queries import UnknownPlan

    try:
        return int(args.handler(args) or 0)
    except (UserError, ImportFormatError, UnknownPlan) as exc:
        return _fail(str(exc), EXIT_USER_ERROR)
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", EXIT_USER_ERROR)
    except DatabaseUnavailable as exc:
        return _fail(str(exc), EXIT_SYSTEM_ERROR)
    except (OperationalError, DatabaseError) as exc:  # read-only, full, locked, gone: one line, exit 3
        return _fail(describe(exc), EXIT_SYSTEM_ERROR)
    except MailUnavailable as exc:
        return _fail(str(exc), EXIT_SYSTEM_ERROR)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)


def _fail(message: str, code: int) -> int:
    print(f"planwarden: error: {message}", file=sys.stderr)
    return code


def mail_outage(reasons: Sequence[str | None]) -> int:
    """Exit 3 with one line when delivery could not reach the mail service (mail stays queued)."""
    reason = next((r for r in reasons if r), None)
    if reason is None:
        return 0
    return _fail(f"the mail service could not be reached ({reason}); the mail stays queued and is sent "
                 "by the next run (planwarden status shows it)", EXIT_SYSTEM_ERROR)


def deliver_now(config: Any) -> None:
    """Send what a command just queued (confirmations, a pack) instead of leaving it for
    the next scheduled run. A mail server that is down is not an error here: the mail
    stays queued and the next run sends it."""
    from planwarden.mail.factory import deliver_queued

    stats = deliver_queued(config)
    if stats.unavailable:
        print("planwarden: warning: the mail server could not be reached; the mail stays queued "
              "and is sent on the next run", file=sys.stderr)


def date_arg(text: str) -> dt.date:
    """An argparse type for YYYY-MM-DD options (`--today`)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def command(sub: Any, name: str, handler: Callable[[argparse.Namespace], int | None], help_: str,
            ) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_, description=help_)
    parser.set_defaults(handler=handler)
    return parser


def load() -> Any:
    """The validated config (raises ConfigError naming file, key and reason)."""
    from planwarden.core.config import load_config
    return load_config()


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[int] | None = None) -> str:
    """A plain-text table that reads well in a terminal; long cells are shortened."""
    rows = [["" if c is None else str(c) for c in row] for row in rows]
    widths = list(widths or [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)])
    cut = [[_shorten(c, widths[i]) for i, c in enumerate(r)] for r in rows]
    line = "  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip()
    rule = "  ".join("-" * w for w in widths)
    body = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in cut]
    return "\n".join([line, rule, *body])


def _shorten(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"
