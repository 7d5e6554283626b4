"""The `planwarden` command line (Typer + rich). docs/cli.md is its contract.

Adding a command: write `planwarden/cli/<group>.py` with a ``register(app)`` that adds
its Typer command(s) (see actions.py for a one-command module, quarantine.py for a group
with subcommands), take ``json: Json = False`` from common if it prints data, put the
logic in the domain package, and add the module's name to COMMANDS. Heavy imports
(Prefect, WeasyPrint, SQLAlchemy, rich) go inside the command functions, so that
`--help` and commands that run no flow start fast. Raise ``UserError`` for a person's
mistake; ``common.exit_code_for`` is the one place that turns exceptions into exit codes.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import typer

from planwarden.cli.common import EXIT_USER_ERROR, UserError, exit_code_for, fail

# One module per command group, in the order `planwarden --help` lists them.
COMMANDS = ["import_", "actions", "export", "remind", "preview_emails", "ingest", "collect", "quarantine",
            "requests", "pack", "calendar", "outbox", "status", "check", "config_reference", "demo", "serve"]


def build_app() -> typer.Typer:
    app = typer.Typer(name="planwarden", no_args_is_help=True, add_completion=True, rich_markup_mode=None,
                      pretty_exceptions_enable=False,
                      help="Keeps multi-agency improvement plans moving: reminders, replies, board packs, invites.")
    for name in COMMANDS:
        importlib.import_module(f"planwarden.cli.{name}").register(app)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (docs/cli.md). Never a traceback for a
    person's mistake: usage errors and known failures become one `planwarden: error:` line."""
    from typer import _click  # Typer's bundled click: its exceptions carry usage errors

    command = typer.main.get_command(build_app())
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = command.main(args=args, prog_name="planwarden", standalone_mode=False)
    except _click.exceptions.ClickException as exc:
        hint = f" (see: planwarden {args[0]} --help)" if args and not args[0].startswith("-") else ""
        return fail(exc.format_message() + hint, EXIT_USER_ERROR)
    except (_click.exceptions.Abort, typer.Abort):
        return fail("interrupted", 130)
    except (Exception, KeyboardInterrupt) as exc:
        code = exit_code_for(exc)
        if code is None:
            raise
        return code
    return int(result or 0)


__all__ = ["COMMANDS", "UserError", "build_app", "main"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
