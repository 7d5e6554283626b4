"""The read-only commands' fast path (planwarden/cli/fast.py): it prints what the full path
prints, byte for byte, with the same exit code, on SQLite and on PostgreSQL; and whenever
it cannot be sure of that — settings changed since they validated, a database at another
schema revision or not there yet, status facts that do not cover today, an option form
it does not know — it prints nothing and the full path answers (and checks what it must).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from planwarden.cli import FAST_COMMANDS, fast, main
from planwarden.cli.output import render_table
from planwarden.core.clock import FixedClock, SystemClock
from planwarden.core.db import session_scope
from planwarden.core.schema import code_heads
from planwarden.orchestration.runs import recorded_run
from planwarden.plan.models import Action, ProgressUpdate

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "examples" / "jtai"
SEED = EXAMPLE / "plan" / "000_3a816ad8139d38e0.txt"
REPLIES = Path(__file__).parent / "data" / "replies"
FORMS = [["actions", "--json"], ["actions"], ["actions", "--plan", "jtai", "--json"], ["actions", "--json", "--plan",
         "jtai"], ["requests", "--json"], ["requests"], ["requests", "--plan", "jtai"], ["status", "--json"],
         ["status"]]


def _full(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _fast(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int | None, str, str]:
    code = fast.run(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the jtai example settings (so a test may change them) and a cache of its own."""
    folder = tmp_path / "settings"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("plan"))
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(folder / "planwarden.toml"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return folder / "planwarden.toml"


@pytest.fixture
def seeded(db_url: str, settings: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch,
           capsys: pytest.CaptureFixture[str]) -> str:
    """Seed 000 imported, a reply quarantined, reminders queued, a run recorded, a new date
    asked for and an update withdrawn: every part of the three commands' documents."""
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", db_url)
    assert main(["import", str(SEED), "--plan", "jtai", "--json"]) == 0
    assert main(["ingest", str(REPLIES / "stranger.eml"), "--json"]) == 0
    assert main(["remind", "--today", "2023-02-08", "--json"]) == 0
    with recorded_run(db_url, "jtai", "reminders") as summary:
        summary["messages"] = 3
    with session_scope(db_url) as session:
        action = session.scalar(select(Action).where(Action.ref == "1.1b"))
        assert action is not None
        now = clock.now()
        action.updates.append(ProgressUpdate(text="Drafted. New date: 31 March 2023", rag="amber", source="email",
                                             requested_due=dt.date(2023, 3, 31), author="DS Ball",
                                             decision="applied", created_at=now))
        action.updates.append(ProgressUpdate(date=dt.date(2022, 12, 14), text="Taken back.", source="manual",
                                             created_at=now, withdrawn_at=now))
    capsys.readouterr()
    return db_url


def test_the_two_lists_of_fast_commands_agree() -> None:
    assert set(FAST_COMMANDS) == set(fast.COMMANDS)


def test_each_command_prints_the_same_on_both_paths(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in FORMS:
        full = _full(capsys, argv)  # first: validates the settings, keeps status's facts
        fast_ = _fast(capsys, argv)
        assert fast_[0] is not None, f"{argv} fell through"
        assert fast_ == full, argv
    status = json.loads(_fast(capsys, ["status", "--json"])[1])
    assert status[0]["quarantined"] == 1 and status[0]["outbox"] and status[0]["last_runs"]["reminders"]
    assert status[0]["next_board"] is not None
    (request,) = json.loads(_fast(capsys, ["requests", "--json"])[1])
    assert request["ref"] == "1.1b" and request["requested_due"] == "2023-03-31"


def test_an_unknown_plan_is_the_same_one_line_on_both_paths(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    full = _full(capsys, ["actions", "--plan", "nope", "--json"])
    assert _fast(capsys, ["actions", "--plan", "nope", "--json"]) == full
    assert full[0] == 2 and full[1] == ""
    assert full[2] == "planwarden: error: no plan 'nope' has been imported (planwarden import FILE --plan nope)\n"


@pytest.mark.parametrize("argv", [["actions", "--help"], ["actions", "--plan"], ["actions", "--plan", "--json"],
                                  ["actions", "--plan=jtai"], ["actions", "--json", "--json"],
                                  ["actions", "--bogus"], ["status", "--plan", "jtai"],
                                  ["requests", "approve", "1"], ["import"], []])
def test_other_forms_are_left_to_the_full_path(argv: list[str], seeded: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert _fast(capsys, argv) == (None, "", "")


def test_a_mistake_in_an_option_is_one_line(seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _full(capsys, ["actions", "--plan"])
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("planwarden: error: ")


def test_settings_changed_since_they_validated_take_the_full_path_and_its_check(
        seeded: str, settings: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["actions", "--json"], ["status", "--json"]):
        _full(capsys, argv)
        assert _fast(capsys, argv)[0] == 0
    settings.write_text(settings.read_text(encoding="utf-8") + "\ncolour = \"blue\"\n", encoding="utf-8")
    for argv in (["actions", "--json"], ["requests"], ["status", "--json"]):
        assert _fast(capsys, argv) == (None, "", "")
        code, out, err = _full(capsys, argv)
        assert (code, out) == (2, "") and err.endswith("colour: unknown key (misspelt?)\n") and err.count("\n") == 1


def test_a_database_at_another_revision_takes_the_full_path_which_migrates_it(
        seeded: str, capsys: pytest.CaptureFixture[str]) -> None:
    from alembic import command
    from alembic.config import Config as AlembicConfig

    from planwarden.core.db import MIGRATIONS, engine_for

    full = _full(capsys, ["actions", "--json"])
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine_for(seeded).connect() as conn:  # as an older planwarden left it
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "-1")  # the newest migration undone
        conn.commit()
        assert set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars()) != set(code_heads())
    assert _fast(capsys, ["actions", "--json"]) == (None, "", "")
    from planwarden.core import db
    db.forget(seeded)  # a new process: the full path checks the revision again
    assert _full(capsys, ["actions", "--json"]) == full
    assert _fast(capsys, ["actions", "--json"]) == full


def test_no_database_yet_is_left_to_the_full_path(settings: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "new" / "planwarden.db"
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", f"sqlite:///{target}")
    assert main(["requests", "--json"]) == 0  # validates the settings (and creates the database)
    target.unlink()
    capsys.readouterr()
    assert _fast(capsys, ["requests", "--json"]) == (None, "", "")
    assert not target.exists()  # the fast path never creates it


def test_status_facts_that_do_not_cover_today_are_derived_again(seeded: str, clock: FixedClock,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    _full(capsys, ["status", "--json"])
    assert _fast(capsys, ["status", "--json"])[0] == 0
    clock.advance(days=200)  # beyond the window the facts were kept for
    assert _fast(capsys, ["status", "--json"]) == (None, "", "")
    full = _full(capsys, ["status", "--json"])
    assert _fast(capsys, ["status", "--json"]) == full


def test_the_next_board_kept_for_the_fast_path_is_the_calendars_every_day(seeded: str, clock: FixedClock) -> None:
    from planwarden.core.config import load_config
    from planwarden.orchestration.status import next_board_json, status_facts

    config = load_config()
    facts = status_facts(config)
    first = dt.date.fromisoformat(facts["first"])
    runs = facts["plans"]["jtai"]["boards"]
    for offset in range(0, 92, 3):
        day = first + dt.timedelta(days=offset)
        kept = next(answer for through, answer in runs if through >= day.isoformat())
        assert kept == next_board_json(config, "jtai", day), day


def test_the_console_script_answers_without_the_heavy_libraries(seeded: str, clock: FixedClock) -> None:
    if not seeded.startswith("sqlite"):
        pytest.skip("one database is enough: which libraries load does not depend on it")
    clock.set(SystemClock().now())  # the child process runs on the real clock
    assert main(["status", "--json"]) == 0 and main(["actions", "--json"]) == 0  # settings validated, facts kept
    code = ("import sys; from planwarden.cli import _fast; rc = _fast(sys.argv[1:]); "
            "heavy = [m for m in ('typer', 'rich', 'pydantic', 'sqlalchemy', 'prefect') if m in sys.modules]; "
            "assert rc == 0 and not heavy, (rc, heavy)")
    for argv in (["status"], ["actions"], ["requests", "--json"]):
        out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=60,
                             env=dict(os.environ))
        assert out.returncode == 0, out.stderr


def test_tables_are_coloured_only_on_a_terminal_and_not_under_no_color() -> None:
    rows = [["1.1a", "AMBER", "a long text that will be cut"]]
    plain = render_table(["ref", "rag", "text"], rows, [6, 5, 10], {"AMBER": "bold yellow"}, None, 200)
    assert "\x1b" not in plain and "a long te…" in plain
    assert plain.splitlines()[1] == " ref    rag     text       "
    full = render_table(["ref", "rag", "text"], rows, [6, 5, 10], {"AMBER": "bold yellow"}, "full", 200)
    assert "\x1b[1;33mAMBER\x1b[0m" in full and "\x1b[1mref\x1b[0m" in full
    no_color = render_table(["ref", "rag", "text"], rows, [6, 5, 10], {"AMBER": "bold yellow"}, "styles", 200)
    assert "\x1b[1mAMBER\x1b[0m" in no_color and "33" not in no_color
    narrow = render_table(["ref", "rag", "text"], rows, None, {}, None, 30)
    assert max(len(line) for line in narrow.splitlines()) <= 30
