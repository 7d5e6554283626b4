"""The Typer command line: one --json option everywhere data is printed, one error mapping,
completion, and a start that skips what a command does not need."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from planwarden.cli import COMMANDS, build_app, main

NO_DATA = {"config-reference", "demo", "web", "directory"}  # Markdown, a story, a server, a group (its suggest has --json)


def _commands() -> dict[str, object]:
    import typer

    group = typer.main.get_command(build_app())
    found = {}
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        found[name] = command
        for sub_name, sub in getattr(command, "commands", {}).items():
            found[f"{name} {sub_name}"] = sub
    return found


def test_every_command_in_the_list_is_registered_once() -> None:
    names = [n for n in _commands() if " " not in n]
    assert sorted(names) == sorted(COMMANDS)


def test_every_command_that_prints_data_has_the_shared_json_option() -> None:
    missing = [name for name, command in _commands().items()
               if name not in NO_DATA and "--json" not in [o for p in command.params for o in p.opts]]
    assert missing == []


@pytest.mark.parametrize("argv, needle", [
    (["actions", "--bogus"], "No such option: --bogus"),
    (["nocommand"], "No such command 'nocommand'"),
    (["requests", "frobnicate"], "'frobnicate' is not one of 'approve', 'reject'"),
    (["remind", "--today", "tomorrow"], "--today must be a date like 2023-02-08"),
    (["ingest"], "Missing argument"),
])
def test_a_users_mistake_is_one_line_and_exit_2(argv: list[str], needle: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert needle in err and err.startswith("planwarden: error: ") and len(err.splitlines()) == 1
    assert "Traceback" not in err and captured.out == ""


def test_no_command_prints_the_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "Commands:" in capsys.readouterr().err


def _run(args: list[str], code: str = "", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script = f"import sys; from planwarden.cli import main; rc = main({args!r}); {code}; sys.exit(rc)"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def test_help_loads_no_database_no_prefect_no_pdf_no_rich() -> None:
    out = _run(["--help"], "heavy = [m for m in ('sqlalchemy', 'prefect', 'weasyprint', 'rich', 'pydantic') "
                           "if m in sys.modules]; assert not heavy, heavy")
    assert out.returncode == 0, out.stderr
    assert "remind" in out.stdout and "pack" in out.stdout


def test_schema_check_skips_alembic_once_the_database_is_current(tmp_path: Path) -> None:
    env = {"PLANWARDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'pw.sqlite'}"}
    first = _run(["actions", "--json"], "assert 'alembic' in sys.modules, 'a new database must be migrated'", env)
    assert first.returncode == 0, first.stderr
    second = _run(["actions", "--json"], "assert 'alembic' not in sys.modules, 'alembic imported'", env)
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout) == []


def test_shell_completion_completes_command_names() -> None:
    env = {**os.environ, "_PLANWARDEN_COMPLETE": "complete_bash", "COMP_WORDS": "planwarden pa", "COMP_CWORD": "1"}
    out = subprocess.run([sys.executable, "-c", "from planwarden.cli import main; main()"], capture_output=True,
                         text=True, env=env, timeout=60)
    assert out.stdout.split() == ["pack"]
