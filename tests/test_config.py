"""Settings files: mistakes stop start-up naming the file, the key and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from planwarden.core.config import ConfigError, load_config

DIRECTORY = """
[[people]]
id = "pat.jones"
name = "Pat Jones"
email = "pat.jones@example.org"
deputies = ["sam.lee"]

[[people]]
id = "sam.lee"
name = "Sam Lee"
email = "sam.lee@example.org"

[[groups]]
name = "LSCP Executive"
chair = "pat.jones"
members = ["pat.jones", "sam.lee"]
"""

MAIN = """
directory = "directory.toml"
governance = "governance.toml"

[mail]
transport = "outbox"
from_address = "plan@example.org"

[[plans]]
key = "jtai"
timezone = "Europe/London"
secretary = "pat.jones"
"""

GOVERNANCE = """
organiser = "pat.jones"

[[meetings]]
id = "exec"
title = "LSCP Executive"
start = 2022-12-12T10:00:00
rrule = "FREQ=MONTHLY;INTERVAL=2;BYDAY=2MO;COUNT=6"
attendees = ["LSCP Executive", "sam.lee"]
board = true
"""


def _write(tmp_path: Path, main: str = MAIN, directory: str = DIRECTORY, governance: str = GOVERNANCE) -> Path:
    (tmp_path / "directory.toml").write_text(directory, encoding="utf-8")
    (tmp_path / "governance.toml").write_text(governance, encoding="utf-8")
    path = tmp_path / "planwarden.toml"
    path.write_text(main, encoding="utf-8")
    return path


def test_a_valid_set_of_files_loads(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path))
    assert config.plan("jtai").secretary == "pat.jones"
    assert [p.id for p in config.directory.people] == ["pat.jones", "sam.lee"]
    assert config.governance.meetings[0].board


def test_misspelt_key_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = _write(tmp_path, MAIN.replace('transport = "outbox"', 'transprot = "outbox"'))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.file == str(path)
    assert err.value.key == "mail.transprot"
    assert "unknown key" in err.value.reason
    assert str(path) in str(err.value) and "mail.transprot" in str(err.value)


def test_misspelt_top_level_key(tmp_path: Path) -> None:
    path = _write(tmp_path, MAIN.replace('directory = "directory.toml"', 'directroy = "directory.toml"'))
    with pytest.raises(ConfigError, match="directroy: unknown key") as err:
        load_config(path)
    assert err.value.file == str(path)


def test_misspelt_key_in_a_plan(tmp_path: Path) -> None:
    path = _write(tmp_path, MAIN.replace('secretary = "pat.jones"', 'secretery = "pat.jones"'))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert (err.value.key, err.value.reason) == ("plans.0.secretery", "unknown key (misspelt?)")


def test_misspelt_key_in_the_directory_names_the_directory_file(tmp_path: Path) -> None:
    path = _write(tmp_path, directory=DIRECTORY.replace('deputies = ["sam.lee"]', 'deputys = ["sam.lee"]'))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.file == str(tmp_path / "directory.toml")
    assert err.value.key == "people.0.deputys" and "unknown key" in err.value.reason


def test_unknown_deputy_id(tmp_path: Path) -> None:
    path = _write(tmp_path, directory=DIRECTORY.replace('deputies = ["sam.lee"]', 'deputies = ["sam.leigh"]'))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.file == str(tmp_path / "directory.toml")
    assert "people[pat.jones].deputies" in err.value.reason
    assert "unknown person id sam.leigh" in err.value.reason


def test_unknown_group_chair_id(tmp_path: Path) -> None:
    path = _write(tmp_path, directory=DIRECTORY.replace('chair = "pat.jones"', 'chair = "pat.jonse"'))
    with pytest.raises(ConfigError, match="unknown person id pat.jonse"):
        load_config(path)


def test_unknown_timezone(tmp_path: Path) -> None:
    path = _write(tmp_path, MAIN.replace('timezone = "Europe/London"', 'timezone = "Europe/Londres"'))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.file == str(path)
    assert err.value.key == "plans.0.timezone"
    assert "unknown timezone 'Europe/Londres'" in err.value.reason


def test_secretary_not_in_the_directory(tmp_path: Path) -> None:
    path = _write(tmp_path, MAIN.replace('secretary = "pat.jones"', 'secretary = "pat"'))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.key == "plans.0.secretary" and "unknown person id 'pat'" in err.value.reason


def test_attendee_that_is_neither_a_person_nor_a_group(tmp_path: Path) -> None:
    path = _write(tmp_path, governance=GOVERNANCE.replace('"LSCP Executive", "sam.lee"',
                                                          '"LSCP Executive", "LSCP Exec Board"'))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.file == str(tmp_path / "governance.toml")
    assert err.value.key == "meetings.0.attendees.1"
    assert "'LSCP Exec Board'" in err.value.reason


def test_attendee_group_matches_ignoring_case_and_punctuation(tmp_path: Path) -> None:
    path = _write(tmp_path, governance=GOVERNANCE.replace('"LSCP Executive", "sam.lee"', '"lscp executive."'))
    assert load_config(path).governance.meetings[0].attendees == ["lscp executive."]


def test_unknown_organiser(tmp_path: Path) -> None:
    path = _write(tmp_path, governance=GOVERNANCE.replace('organiser = "pat.jones"', 'organiser = "nobody"'))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert (err.value.file, err.value.key) == (str(tmp_path / "governance.toml"), "organiser")


def test_moved_occurrence_must_be_a_date(tmp_path: Path) -> None:
    bad = GOVERNANCE + 'moved = { "13 Feb 2023" = 2023-02-08T10:00:00 }\n'
    path = _write(tmp_path, governance=bad)
    with pytest.raises(ConfigError, match="'13 Feb 2023' is not a date") as err:
        load_config(path)
    assert err.value.file == str(tmp_path / "governance.toml")


def test_missing_directory_file_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path)
    (tmp_path / "directory.toml").unlink()
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.file == str(tmp_path / "directory.toml") and err.value.reason == "file not found"


def test_not_toml(tmp_path: Path) -> None:
    path = _write(tmp_path, MAIN + "\n[mail\n")
    with pytest.raises(ConfigError, match="not valid TOML") as err:
        load_config(path)
    assert err.value.file == str(path)


def test_no_config_file_at_all_works_with_defaults(tmp_path: Path, isolated_env: Path) -> None:
    # the isolated environment has no PLANWARDEN_CONFIG and no config/planwarden.toml here
    assert not (Path.cwd() / "config" / "planwarden.toml").exists()
    config = load_config()
    assert config.source is None
    assert config.settings.plans == [] and config.directory.people == [] and config.governance.meetings == []
    assert config.mail.transport == "outbox"
    plan = config.plan("anything")
    assert (plan.key, plan.timezone, plan.reminders.ahead_days) == ("anything", "Europe/London", [14, 3])
    assert config.data_dir == isolated_env
    assert config.database_url == f"sqlite:///{isolated_env / 'planwarden.db'}"
    assert config.mail_dir("outbox") == isolated_env / "outbox"


def test_config_named_by_the_environment_must_exist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="file not found"):
        load_config()


def test_config_found_in_the_default_place(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    _write(tmp_path / "config")
    config = load_config()
    assert config.source == Path("config/planwarden.toml")
    assert config.plan("jtai").secretary == "pat.jones"


def test_a_plan_with_its_own_mailbox_reads_replies_from_it(tmp_path: Path) -> None:
    """Several plans in one service, each with its own mailbox."""
    from planwarden.mail.factory import mailbox_for

    cfg = tmp_path / "planwarden.toml"
    cfg.write_text('[mail]\ninbox_dir = "shared-inbox"\n\n'
                   '[[plans]]\nkey = "jtai"\n[plans.mail]\ninbox_dir = "jtai-inbox"\n\n'
                   '[[plans]]\nkey = "cse"\n')
    config = load_config(cfg)
    assert mailbox_for(config, "jtai").inbox == tmp_path / "jtai-inbox"  # type: ignore[attr-defined]
    assert mailbox_for(config, "cse").inbox == tmp_path / "shared-inbox"  # type: ignore[attr-defined]
    assert mailbox_for(config).inbox == tmp_path / "shared-inbox"  # type: ignore[attr-defined]
