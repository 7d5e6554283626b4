"""Backup and restore, with the commands docs/operations.md gives: the restored database
(and nothing else: a fresh data folder) rebuilds the same past pack, byte for byte."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import EXAMPLE, PG_URL
from planwarden.cli import main
from prefect_cluster import scratch_database

SEED = EXAMPLE / "plan" / "000_3a816ad8139d38e0.txt"
ADMIN = PG_URL.replace("postgresql+psycopg://", "postgresql://")


def _pack(home: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """The December 2022 pack built from scratch in data folder ``home``."""
    monkeypatch.setenv("PLANWARDEN_HOME", str(home))
    assert main(["pack", "--plan", "jtai", "--month", "2022-12", "--out", str(out)]) == 0
    return {p.suffix: p.read_bytes() for p in out.glob("jtai-board-pack-2022-12-31.*")}


def _seed(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(EXAMPLE / "planwarden.toml"))
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", url)
    assert main(["import", str(SEED), "--plan", "jtai"]) == 0


def _restored(url: str, tmp_path: Path, original: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", url)
    shutil.rmtree(tmp_path / "home")  # the stored packs are lost with the disk: rendered again
    again = _pack(tmp_path / "fresh-home", tmp_path / "after", monkeypatch)
    assert set(again) == {".pdf", ".docx"}
    assert again == original, "the restored database rebuilds the pack byte for byte"


@pytest.mark.slow
def test_sqlite_backup_restores_the_same_past_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from planwarden.core import db

    live = tmp_path / "live" / "planwarden.db"
    live.parent.mkdir()
    url = f"sqlite:///{live}"
    _seed(url, monkeypatch)
    original = _pack(tmp_path / "home", tmp_path / "before", monkeypatch)
    backup = tmp_path / "backup.db"
    subprocess.run(["sqlite3", str(live), f".backup '{backup}'"], check=True, timeout=60)
    db.forget(url)
    shutil.rmtree(live.parent)  # the disk is lost
    live.parent.mkdir()
    shutil.copy(backup, live)
    _restored(url, tmp_path, original, monkeypatch)
    db.forget(url)


@pytest.mark.slow
def test_postgres_dump_restores_the_same_past_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   postgres_available: str | None) -> None:
    if postgres_available:
        pytest.skip(postgres_available)
    from planwarden.core import db

    base = PG_URL.rsplit("/", 1)[0]
    dump = tmp_path / "planwarden.dump"
    with scratch_database(ADMIN, "planwarden_backup") as live:
        _seed(f"{base}/{live}", monkeypatch)
        original = _pack(tmp_path / "home", tmp_path / "before", monkeypatch)
        plain = ADMIN.rsplit("/", 1)[0]
        subprocess.run(["pg_dump", "-Fc", "-d", f"{plain}/{live}", "-f", str(dump)], check=True, timeout=120)
        db.forget(f"{base}/{live}")
    with scratch_database(ADMIN, "planwarden_restore") as restored:
        subprocess.run(["pg_restore", "--no-owner", "-d", f"{plain}/{restored}", str(dump)], check=True, timeout=120)
        _restored(f"{base}/{restored}", tmp_path, original, monkeypatch)
        db.forget(f"{base}/{restored}")
