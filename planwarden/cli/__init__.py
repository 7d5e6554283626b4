"""The `planwarden` command line (Typer + rich). docs/cli.md is its contract.

Adding a command: write `planwarden/cli/<group>.py` with a ``register(app)`` that adds
its Typer command(s) (see actions.py for a one-command module, quarantine.py for a group
with subcommands), take ``json: Json = False`` from common if it prints data, put the
logic in the domain package, and add the module's name to COMMANDS. Heavy imports
(Prefect, Typst, SQLAlchemy, rich) go inside the command functions, so that
`--help` and commands that run no flow start fast. Raise ``UserError`` for a person's
mistake; ``common.exit_code_for`` is the one place that turns exceptions into exit codes.

The console script (``run``) first offers the command to cli/fast.py, which answers the
read-only commands (`status`, `requests`, `actions`) without importing Typer, rich,
pydantic or SQLAlchemy when it can be sure of the same answer, and otherwise leaves it to
``main``, the full path. So this module imports Typer only inside its functions.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planwarden.cli.output import EXIT_INTERRUPTED, EXIT_USER_ERROR, fail

if TYPE_CHECKING:
    import typer

# The one list: command (or group) name → its module in planwarden/cli/, in --help order.
COMMANDS = {"import": "import_", "actions": "actions", "export": "export", "remind": "remind",
            "preview-emails": "preview_emails", "ingest": "ingest", "collect": "collect",
            "quarantine": "quarantine", "requests": "requests", "pack": "pack", "calendar": "calendar",
            "outbox": "outbox", "status": "status", "check": "check", "config-reference": "config_reference",
            "directory": "directory", "history": "history", "withdraw": "history", "users": "users",
            "web": "web", "deploy": "deploy", "demo": "demo", "serve": "serve"}
# The read-only commands cli/fast.py may answer (it decides which forms): named here too,
# so other commands do not even import it; tests/test_cli_fast.py checks the two agree.
FAST_COMMANDS = ("actions", "requests", "status")


def build_app(only: str | None = None) -> typer.Typer:
    """The Typer app; with ``only`` (a command name) just that command is built, which
    saves building all the others' parameters on every run."""
    import typer

    app = typer.Typer(name="planwarden", no_args_is_help=True, add_completion=True, rich_markup_mode=None,
                      pretty_exceptions_enable=False)
    app.callback(help="Keeps multi-agency improvement plans moving: reminders, replies, board packs, invites.")(
        _root)
    modules = [COMMANDS[only]] if only in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for module in modules:  # a module may register several commands (history and withdraw)
        importlib.import_module(f"planwarden.cli.{module}").register(app)
    return app


def _root() -> None:
    """The group itself does nothing; its commands do."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code (docs/cli.md). Never a traceback for a
    person's mistake: usage errors and known failures become one `planwarden: error:` line."""
    import typer

    from planwarden.cli.coercion import defer_coercion
    from planwarden.cli.common import exit_code_for

    try:
        from typer import _click  # Typer >= 0.29 bundles click: its exceptions carry usage errors
    except ImportError:  # pragma: no cover - older Typer on plain click
        import click as _click

    args = list(sys.argv[1:] if argv is None else argv)
    completing = any(k.endswith("_COMPLETE") for k in os.environ)
    only = args[0] if args and args[0] in COMMANDS and not completing else None
    defer_coercion()
    command = typer.main.get_command(build_app(only))
    try:
        result = command.main(args=args, prog_name="planwarden", standalone_mode=False)
    except _click.exceptions.ClickException as exc:
        return _usage_error(exc)
    except typer.Abort:
        return fail("interrupted", EXIT_INTERRUPTED)
    except (Exception, KeyboardInterrupt) as exc:
        code = exit_code_for(exc)
        if code is None:
            raise
        return code
    return int(result or 0)


def run() -> None:
    """The `planwarden` console script: ``main()``, then leave without tearing the
    interpreter down. Freeing every loaded module's objects at exit cost ~0.07 s of CPU
    per command (SQLAlchemy's are many), a quarter of a read-only command's budget. The
    exit handlers still run and database connections are closed first; with another
    thread still running (or on an exception) Python exits the usual way."""
    import threading

    code = _fast(sys.argv[1:])
    if code is None:
        code = _help(sys.argv[1:])
    if code is None:
        code = main()
    if threading.active_count() > 1:
        sys.exit(code)
    db = sys.modules.get("planwarden.core.db")
    if db is not None:
        db.dispose_all()
    import atexit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away (| head) or a closed stream
            pass
    os._exit(code)


def _fast(argv: list[str]) -> int | None:
    """The read-only commands' fast path (cli/fast.py); None: run the full path. Not
    while the shell asks for completions (the full path answers those)."""
    if not argv or argv[0] not in FAST_COMMANDS or any(k.endswith("_COMPLETE") for k in os.environ):
        return None
    from planwarden.cli import fast
    try:
        return fast.run(argv)
    except KeyboardInterrupt:
        return fail("interrupted", EXIT_INTERRUPTED)


def _help(argv: list[str]) -> int | None:
    """`planwarden --help` as Typer last printed it for this code at this width, kept in
    the cache folder (docs/cli.md). Typer's import and building every command's options
    are most of the 0.2 s it may take, and the text changes only with the code. None:
    run the full path (which keeps its text for next time)."""
    if argv != ["--help"] or any(k.endswith("_COMPLETE") for k in os.environ):
        return None
    path = _help_path()
    try:
        text = path.read_text(encoding="utf-8") if path is not None else None
    except OSError:
        text = None
    if text is None:
        return _help_kept(path)
    sys.stdout.write(text)
    return 0


def _help_path() -> Path | None:
    """The kept text's file: named by the CLI's modules and Typer's (paths, sizes, times)
    and the width Typer wraps to, so a changed module or terminal is a different name."""
    import hashlib
    import importlib.util
    import shutil

    typer_spec = importlib.util.find_spec("typer")
    files = sorted(Path(__file__).parent.glob("*.py"))
    if typer_spec is None or typer_spec.origin is None:
        return None
    files.append(Path(typer_spec.origin))
    try:
        stamp = "\n".join(f"{f}|{f.stat().st_mtime_ns}|{f.stat().st_size}" for f in files)
    except OSError:
        return None
    stamp += f"\n{shutil.get_terminal_size().columns}"
    from planwarden.core.quickconfig import cache_folder

    return cache_folder() / f"help-{hashlib.sha256(stamp.encode()).hexdigest()[:32]}.txt"


def _help_kept(path: Path | None) -> int:
    """The full path's `--help`, printed and kept in ``path`` for the next time."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--help"])
    sys.stdout.write(out.getvalue())
    if code == 0 and path is not None:
        from planwarden.core.quickconfig import keep

        keep(path, out.getvalue())
    return code


def _usage_error(exc: Exception) -> int:
    """A wrong command, option or value: one line naming the help to read (exit 2)."""
    message = exc.format_message()  # type: ignore[attr-defined]
    if "\n" in message:  # no command at all: the help itself is the answer
        print(message, file=sys.stderr)
        return EXIT_USER_ERROR
    ctx = getattr(exc, "ctx", None)
    hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
    return fail(message + hint, EXIT_USER_ERROR)


def __getattr__(name: str) -> Any:
    """``UserError`` as before, without importing Typer with this package."""
    if name == "UserError":
        from planwarden.cli.common import UserError
        return UserError
    raise AttributeError(name)


__all__ = ["COMMANDS", "UserError", "build_app", "main", "run"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
