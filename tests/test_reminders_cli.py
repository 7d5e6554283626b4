"""`planwarden remind` and `preview-emails` as a user runs them, and eleven weeks of
daily runs on the JTAI example (seed 000, config/examples/jtai)."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest

from planwarden.cli import main
from planwarden.core.clock import FixedClock

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "examples" / "jtai"
SEED = EXAMPLE / "plan" / "000_3a816ad8139d38e0.txt"


@pytest.fixture
def jtai(monkeypatch: pytest.MonkeyPatch, sqlite_url: str, clock: FixedClock) -> str:
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(EXAMPLE / "planwarden.toml"))
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    assert main(["import", str(SEED), "--plan", "jtai"]) == 0
    return sqlite_url


def _remind(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    capsys.readouterr()
    assert main(["remind", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_remind_json_shape_and_same_day_rerun(jtai: str, capsys: pytest.CaptureFixture[str]) -> None:
    report = _remind(capsys, "--today", "2023-02-08")
    assert report["today"] == "2023-02-08" and report["messages"]
    for m in report["messages"]:
        assert set(m) == {"to", "cc", "subject", "message_id", "items", "eml"}
        assert Path(m["eml"]).is_file() and m["subject"].startswith("[planwarden jtai")
        assert all(i["kind"] in {"ahead", "due", "overdue", "escalation", "no-due-date"} for i in m["items"])
    assert _remind(capsys, "--today", "2023-02-08") == {"today": "2023-02-08", "messages": []}
    assert _remind(capsys, "--today", "2023-02-11")["messages"] == []  # Saturday


def test_dry_run_and_plain_output(jtai: str, capsys: pytest.CaptureFixture[str]) -> None:
    dry = _remind(capsys, "--today", "2023-02-08", "--dry-run", "--plan", "jtai")
    assert dry["messages"] and all("eml" not in m for m in dry["messages"])
    assert main(["remind", "--today", "2023-02-08", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would send" in out and "dry run: nothing recorded" in out
    assert main(["remind", "--today", "2022-12-25"]) == 0
    assert "not a working day" in capsys.readouterr().out
    assert main(["remind", "--plan", "nope"]) == 2


def test_preview_emails_renders_every_registered_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "preview"
    assert main(["preview-emails", "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"reminder", "reminder-secretary"} <= set(result["rendered"])
    assert result["missing_samples"] == []  # every email a user can be sent can be previewed
    html = (out / "reminder.html").read_text()
    assert html.lstrip().startswith("<!DOCTYPE html>") and "role=\"presentation\"" in html
    assert "&lt;Consultation&gt;" in html  # stored text is escaped
    assert "[planwarden jtai" in (out / "reminder.subject.txt").read_text()
    assert all(len(line) <= 80 for line in (out / "reminder.txt").read_text().splitlines())


def test_eleven_weeks_of_daily_runs_on_the_jtai_example(jtai: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every day from the plan's update date, weekends and bank holidays included."""
    from planwarden.core.config import load_config
    from planwarden.reminders.workdays import WorkingCalendar

    calendar = WorkingCalendar(load_config().plan("jtai").reminders.bank_holidays)
    seen: Counter[tuple[str, str]] = Counter()
    kinds: Counter[str] = Counter()
    day = dt.date(2022, 12, 14)
    for _ in range(77):
        report = _remind(capsys, "--today", day.isoformat())
        if not calendar.is_working_day(day):
            assert report["messages"] == [], day
        everyone = [a for m in report["messages"] for a in [*m["to"], *m["cc"]]]
        assert len(everyone) == len(set(everyone)), f"{day}: someone got two emails"
        refs_today = {(i["ref"], i["kind"]) for m in report["messages"] for i in m["items"]}
        assert len({ref for ref, _ in refs_today}) == len(refs_today), f"{day}: two kinds for one action"
        for ref, kind in refs_today:
            seen[(day.isoformat(), ref)] += 1
            kinds[kind] += 1
        day += dt.timedelta(days=1)
    assert set(kinds) == {"ahead", "due", "overdue", "escalation", "no-due-date"}
    # no action is reminded on consecutive working days at the same stage twice: recorded once each
    from sqlalchemy import func, select

    from planwarden.core.db import session_scope
    from planwarden.reminders.models import ReminderLog
    with session_scope(jtai) as session:
        total = session.scalar(select(func.count()).select_from(ReminderLog))
        keys = session.execute(select(ReminderLog.action_id, ReminderLog.stage, ReminderLog.due_key,
                                      ReminderLog.occurrence)).all()
    assert total == len(seen) == len(set(keys))
