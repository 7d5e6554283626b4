"""The quick database-URL path of read-only commands (core/quickconfig.py): it answers as
load_config does, and never skips the full check on files that changed since it passed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from planwarden.core.config import ConfigError, load_config
from planwarden.core.quickconfig import database_url


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("PLANWARDEN_DATABASE_URL", raising=False)
    monkeypatch.delenv("PLANWARDEN_HOME", raising=False)
    (tmp_path / "directory.toml").write_text('[[people]]\nid = "sec"\nname = "Sam Secretary"\n'
                                             'email = "sam@example.org"\n', encoding="utf-8")
    main = tmp_path / "planwarden.toml"
    main.write_text('data_dir = "data"\ndirectory = "directory.toml"\n\n[[plans]]\nkey = "jtai"\n'
                    'secretary = "sec"\n', encoding="utf-8")
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(main))
    return main


def _touch_later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_same_url_as_the_full_load_before_and_after_the_files_validated(settings: Path) -> None:
    expected = load_config().database_url
    assert expected == f"sqlite:///{settings.parent / 'data' / 'planwarden.db'}"
    assert database_url() == expected  # validates, leaves the marker
    assert database_url() == expected  # from the marker


def test_the_environment_still_wins_on_the_quick_path(settings: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database_url()
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", "sqlite:////tmp/elsewhere.db")
    assert database_url() == "sqlite:////tmp/elsewhere.db"


def test_a_mistake_stops_the_command_naming_file_and_key(settings: Path) -> None:
    settings.write_text(settings.read_text(encoding="utf-8") + 'colour = "blue"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"planwarden\.toml: plans\.0\.colour: unknown key"):
        database_url()


def test_a_file_changed_after_it_validated_is_checked_again(settings: Path) -> None:
    database_url()
    directory = settings.parent / "directory.toml"
    directory.write_text('[[people]]\nid = "other"\nname = "O"\nemail = "o@example.org"\n', encoding="utf-8")
    _touch_later(directory)
    with pytest.raises(ConfigError, match=r"plans\.0\.secretary: unknown person id 'sec'"):
        database_url()
