"""Database problems a user can read: one line naming the database and the cause, exit 3.

Real SQLite files (read-only, locked by another connection, full, a folder that cannot
be made), `status` on SQLite and PostgreSQL, and a PostgreSQL URL whose password has an
unencoded '@' (never printed, not even in part).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import planwarden.core.db as db
from planwarden.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "examples" / "jtai" / "planwarden.toml"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(EXAMPLE))

    def run(url: str, *argv: str) -> tuple[int, str, str]:
        monkeypatch.setenv("PLANWARDEN_DATABASE_URL", url)
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err
    yield run
    db.dispose_all()


def test_status_runs_on_both_databases_without_locking_itself(cli, db_url: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli(db_url, "status", "--json")
    assert code == 0 and err == "" and '"plan": "jtai"' in out


def test_read_only_database_is_one_line_exit_3(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "planwarden.db"
    assert cli(f"sqlite:///{path}", "status")[0] == 0  # created and migrated
    db.dispose_all()
    code, _out, err = cli(f"sqlite:///file:{path}?mode=ro&uri=true", "import", str(Path(__file__).parent / "data" / "seeds" / "000_3a816ad8139d38e0.txt"), "--plan", "jtai")
    assert code == 3 and err.count("\n") == 1 and "Traceback" not in err
    assert str(path) in err and "read-only" in err


def test_locked_database_is_one_line_exit_3(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "planwarden.db"
    assert cli(f"sqlite:///{path}", "status")[0] == 0
    db.dispose_all()
    monkeypatch.setattr(db, "SQLITE_BUSY_SECONDS", 0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, _out, err = cli(f"sqlite:///{path}", "outbox")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 3 and err.count("\n") == 1 and str(path) in err and "locked" in err


def test_a_folder_that_cannot_be_made_is_one_line_exit_3(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    code, _out, err = cli(f"sqlite:///{blocker / 'data' / 'planwarden.db'}", "status")
    assert code == 3 and err.count("\n") == 1 and "cannot create its folder" in err and str(blocker) in err


def test_a_full_database_is_described() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("PRAGMA max_page_count=2")
    conn.execute("CREATE TABLE t (x TEXT)")
    with pytest.raises(sqlite3.OperationalError) as info:
        for _ in range(100):
            conn.execute("INSERT INTO t VALUES (?)", ("x" * 4000,))
    message = db.describe(info.value, "sqlite:////var/lib/planwarden/planwarden.db")
    assert message == "database /var/lib/planwarden/planwarden.db cannot be written: the disk is full; nothing was changed"


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://planwarden:s3cr@tW0rd@127.0.0.1:1/planwarden",
    "postgresql://planwarden:hunter2:x@y@localhost:1/planwarden",
])
def test_an_unencoded_at_in_the_password_never_prints_any_of_it(cli, url: str) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli(url, "status")
    assert code == 3 and "%40" in err and err.count("\n") == 1
    password = url.split("://", 1)[1].split(":", 1)[1].rsplit("@", 1)[0]
    for piece in {password, *password.replace(":", "@").split("@")}:
        assert piece not in err + out


def test_an_unreachable_server_names_it_without_the_password(cli) -> None:  # type: ignore[no-untyped-def]
    code, _out, err = cli("postgresql+psycopg://planwarden:Sup3rSecret%40x@127.0.0.1:1/planwarden", "status")
    assert code == 3 and "127.0.0.1" in err and "Sup3rSecret" not in err and err.count("\n") == 1


def test_redact_url_hides_everything_up_to_the_last_at() -> None:
    assert db.redact_url("postgresql://u:p@ss@h/db") == "postgresql://u:***@h/db"
    assert db.redact_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
