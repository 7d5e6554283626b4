"""What keeps the command line quick to start (docs/cli.md "Start-up time"): no command's
--help loads pydantic or SQLAlchemy, read-only listings load neither pydantic nor the ORM
once the settings validated, Typer's own checks still answer for values that need them,
and the console script's quick exit loses no output and keeps the exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from planwarden.cli import COMMANDS

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "examples" / "jtai"


def _python(code: str, env: dict[str, str] | None = None, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *(["-c", code] if code else []), *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"PLANWARDEN_CONFIG": str(EXAMPLE / "planwarden.toml"), "XDG_CACHE_HOME": str(tmp_path / "cache"),
            "PLANWARDEN_DATABASE_URL": f"sqlite:///{tmp_path / 'pw.sqlite'}", "PLANWARDEN_HOME": str(tmp_path)}


def test_no_commands_help_loads_pydantic_or_the_database() -> None:
    out = _python("import sys, contextlib, io\nfrom planwarden.cli import main\n"
                  f"for name in {sorted(COMMANDS)!r}:\n"
                  "    with contextlib.redirect_stdout(io.StringIO()):\n"
                  "        assert main([name, '--help']) == 0, name\n"
                  "heavy = [m for m in ('pydantic', 'sqlalchemy', 'rich', 'prefect') if m in sys.modules]\n"
                  "assert not heavy, heavy")
    assert out.returncode == 0, out.stderr


def test_listings_load_neither_pydantic_nor_the_orm_once_the_settings_validated(env: dict[str, str]) -> None:
    check = ("import sys; from planwarden.cli import main; rc = main({args!r}); "
             "heavy = [m for m in ('pydantic', 'sqlalchemy.orm') if m in sys.modules]; "
             "assert not heavy, heavy; sys.exit(rc)")
    first = _python(check.format(args=["actions", "--json"]), env)
    assert first.returncode == 1 and "pydantic" in first.stderr  # first run: settings validated in full
    for args in (["actions", "--json"], ["requests", "--json"]):
        out = _python(check.format(args=args), env)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout) == []


def test_values_that_need_typers_checks_still_get_them(env: dict[str, str]) -> None:
    out = _python("", env, "-m", "planwarden.cli", "requests", "approve", "abc")
    assert out.returncode == 2 and "'ID'" in out.stderr and "valid integer" in out.stderr
    out = _python("", env, "-m", "planwarden.cli", "requests", "maybe", "3")
    assert out.returncode == 2 and "'maybe' is not one of 'approve', 'reject'" in out.stderr


def test_the_console_script_exits_quickly_with_its_output_and_code(env: dict[str, str]) -> None:
    listed = _python("", env, "-m", "planwarden.cli", "actions", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
    missing = _python("", env, "-m", "planwarden.cli", "actions", "--plan", "nope")
    assert missing.returncode == 2
    assert missing.stderr.strip() == ("planwarden: error: no plan 'nope' has been imported "
                                      "(planwarden import FILE --plan nope)")
