"""Eleven weeks of daily `remind` runs on seed 000 with config/examples/jtai, compared
with an independent, literal reading of PRODUCT.md's schedule.

The oracle below shares no code with planwarden.reminders, and its bank holidays are
typed in from gov.uk, so a mistake in either the schedule or the holiday source shows.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from planwarden.cli import main
from seeds import SEED_000, seed_path

D = dt.date
# England and Wales bank holidays (gov.uk), 2022-2023.
BANK_HOLIDAYS = {D(2022, 8, 29), D(2022, 9, 19), D(2022, 12, 26), D(2022, 12, 27), D(2023, 1, 2), D(2023, 4, 7),
                 D(2023, 4, 10), D(2023, 5, 1), D(2023, 5, 8), D(2023, 5, 29), D(2023, 8, 28)}
START, DAYS = D(2022, 12, 5), 77  # 5 Dec 2022 .. 19 Feb 2023: Christmas and New Year included
EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "examples" / "jtai" / "planwarden.toml"


def working(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in BANK_HOLIDAYS


def back(day: dt.date) -> dt.date:
    while not working(day):
        day -= dt.timedelta(days=1)
    return day


def forward(day: dt.date) -> dt.date:
    while not working(day):
        day += dt.timedelta(days=1)
    return day


def oracle(actions: list[dict], days: list[dt.date]) -> set[tuple[dt.date, str, str]]:
    """PRODUCT.md, 'Reminders and escalation', read literally."""
    sent: set[tuple[dt.date, str, str]] = set()
    stages: dict[str, set[str]] = {a["ref"]: set() for a in actions}
    last_overdue: dict[str, dt.date] = {}
    months: dict[str, set[tuple[int, int]]] = {a["ref"]: set() for a in actions}
    for t in days:
        if not working(t):
            continue
        for a in actions:
            ref = a["ref"]
            if a["rag"] == "green":
                continue
            if a["due"] is None:
                if (t.year, t.month) not in months[ref]:
                    months[ref].add((t.year, t.month))
                    sent.add((t, ref, "no-due-date"))
                continue
            d = D.fromisoformat(a["due"])
            first_overdue = forward(d + dt.timedelta(days=1))
            if t >= first_overdue:
                last = last_overdue.get(ref)
                if last is None or t >= forward(last + dt.timedelta(days=7)):
                    last_overdue[ref] = t
                    sent.add((t, ref, "escalation" if (t - d).days >= 14 else "overdue"))
                continue
            for stage, on, kind in (("due", back(d), "due"), ("ahead-3", back(d - dt.timedelta(days=3)), "ahead"),
                                    ("ahead-14", back(d - dt.timedelta(days=14)), "ahead")):
                if t >= on:  # the latest stage reached; earlier unsent ones are skipped
                    if stage not in stages[ref]:
                        stages[ref].add(stage)
                        sent.add((t, ref, kind))
                    break
    return sent


@pytest.mark.slow
def test_eleven_weeks_of_daily_runs_match_the_schedule(monkeypatch: pytest.MonkeyPatch, sqlite_url: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(EXAMPLE))
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    assert main(["import", str(seed_path(SEED_000)), "--plan", "jtai"]) == 0
    capsys.readouterr()
    assert main(["actions", "--plan", "jtai", "--json"]) == 0
    actions = json.loads(capsys.readouterr().out)
    days = [START + dt.timedelta(days=i) for i in range(DAYS)]
    got: set[tuple[dt.date, str, str]] = set()
    for day in days:
        assert main(["remind", "--today", day.isoformat(), "--json"]) == 0
        run = json.loads(capsys.readouterr().out)
        recipients = [addr for m in run["messages"] for addr in m["to"]]
        assert len(recipients) == len(set(recipients)), f"someone got two emails on {day}"
        if not working(day):
            assert run["messages"] == [], f"mail sent on a non-working day {day}"
        got |= {(day, item["ref"], item["kind"]) for m in run["messages"] for item in m["items"]}
    expected = oracle(actions, days)
    assert len(expected) > 100  # not a vacuous comparison
    assert sorted(got - expected) == [], "sent but not due"
    assert sorted(expected - got) == [], "due but not sent"
    kinds = {k for _, _, k in expected}
    assert {"ahead", "due", "overdue", "escalation", "no-due-date"} <= kinds  # the replay exercises every kind
