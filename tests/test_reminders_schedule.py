"""The reminder schedule, day by day: PRODUCT.md "Reminders and escalation" as dates."""

from __future__ import annotations

import datetime as dt

import pytest

from planwarden.reminders import ActionState, Rules, Sent, WorkingCalendar, reminders_due, stage_dates

D = dt.date
ENG = WorkingCalendar("england-and-wales")


def replay(actions: list[ActionState], start: dt.date, end: dt.date, calendar: WorkingCalendar = ENG,
           rules: Rules = Rules(), sent: list[Sent] | None = None) -> list[tuple[str, str, str]]:
    """Run every day from start to end (weekends included), recording what is sent."""
    sent = list(sent or [])
    out = []
    day = start
    while day <= end:
        for r in reminders_due(actions, sent, day, calendar, rules):
            sent.append(Sent(r.action_id, r.stage, r.due, r.occurrence, day))
            out.append((day.isoformat(), r.ref, r.kind))
        day += dt.timedelta(days=1)
    return out


def test_worked_example_over_christmas_and_new_year() -> None:
    """Due Tue 3 Jan 2023: d−3 is a Saturday, 2 Jan a bank holiday (New Year observed)."""
    a = ActionState(1, "1.1a", D(2023, 1, 3), "amber")
    assert replay([a], D(2022, 12, 1), D(2023, 2, 10)) == [
        ("2022-12-20", "1.1a", "ahead"),       # d−14, a Tuesday
        ("2022-12-30", "1.1a", "ahead"),       # d−3 = Sat 31 Dec -> Fri 30 Dec
        ("2023-01-03", "1.1a", "due"),
        ("2023-01-04", "1.1a", "overdue"),     # first working day after d
        ("2023-01-11", "1.1a", "overdue"),     # 7 days later (8 days after d)
        ("2023-01-18", "1.1a", "escalation"),  # 15 days after d
        ("2023-01-25", "1.1a", "escalation"),
        ("2023-02-01", "1.1a", "escalation"),
        ("2023-02-08", "1.1a", "escalation"),
    ]


def test_due_on_christmas_moves_back_and_overdue_skips_the_bank_holidays() -> None:
    a = ActionState(1, "2.1a", D(2022, 12, 25), None)  # Sunday; 26 and 27 Dec are bank holidays
    got = replay([a], D(2022, 12, 1), D(2023, 1, 6))
    assert got == [("2022-12-09", "2.1a", "ahead"), ("2022-12-22", "2.1a", "ahead"),
                   ("2022-12-23", "2.1a", "due"), ("2022-12-28", "2.1a", "overdue"),
                   ("2023-01-04", "2.1a", "overdue")]


def test_overdue_repeat_landing_on_a_bank_holiday_moves_to_the_next_working_day() -> None:
    # overdue first on Tue 28 Mar 2023; +7 = Tue 4 Apr; +7 = Tue 11 Apr (after Easter Monday 10 Apr): fine.
    # Due Thu 30 Mar: overdue Fri 31 Mar, +7 = Fri 7 Apr (Good Friday) -> Tue 11 Apr (Easter Monday too).
    a = ActionState(1, "3.1a", D(2023, 3, 30), "red")
    got = [g for g in replay([a], D(2023, 3, 29), D(2023, 4, 30)) if g[2] not in ("ahead", "due")]
    assert got == [("2023-03-31", "3.1a", "overdue"), ("2023-04-11", "3.1a", "overdue"),  # 12 days after d
                   ("2023-04-18", "3.1a", "escalation"), ("2023-04-25", "3.1a", "escalation")]


def test_no_backlog_only_the_latest_stage_after_downtime_or_first_import() -> None:
    a = ActionState(1, "1.1a", D(2023, 1, 3), "amber")
    # first run on 2 Jan (bank holiday: nothing), then 3 Jan: only "due", not the two ahead stages
    assert replay([a], D(2023, 1, 2), D(2023, 1, 3)) == [("2023-01-03", "1.1a", "due")]
    # long overdue at first import: one escalation now, the next a full interval after it
    b = ActionState(2, "1.1b", D(2022, 10, 31), "red")
    assert replay([b], D(2022, 12, 14), D(2022, 12, 31)) == [("2022-12-14", "1.1b", "escalation"),
                                                             ("2022-12-21", "1.1b", "escalation"),
                                                             ("2022-12-28", "1.1b", "escalation")]


def test_a_reminder_already_sent_is_not_sent_again_the_same_day() -> None:
    a = ActionState(1, "1.1a", D(2023, 1, 3), "amber")
    first = reminders_due([a], [], D(2023, 1, 3), ENG)
    assert [r.kind for r in first] == ["due"]
    r = first[0]
    assert reminders_due([a], [Sent(1, r.stage, r.due, r.occurrence, D(2023, 1, 3))], D(2023, 1, 3), ENG) == []


def test_green_and_non_working_days_send_nothing_and_milestones_do_not_matter() -> None:
    green = ActionState(1, "1.1a", D(2023, 1, 3), "green")
    assert replay([green], D(2022, 12, 1), D(2023, 3, 1)) == []
    amber = ActionState(2, "1.1b", D(2023, 1, 3), "amber")
    for day in (D(2022, 12, 24), D(2022, 12, 26), D(2022, 12, 27), D(2023, 1, 2), D(2023, 4, 7)):
        assert reminders_due([amber], [], day, ENG) == []


def test_a_new_due_date_restarts_the_stages() -> None:
    before = ActionState(1, "1.1a", D(2023, 1, 3), "amber")
    sent = [Sent(1, "overdue", D(2023, 1, 3), 1, D(2023, 1, 4))]
    after = ActionState(1, "1.1a", D(2023, 2, 28), "amber")
    assert replay([before], D(2023, 1, 5), D(2023, 1, 10), sent=sent) == []
    assert replay([after], D(2023, 1, 5), D(2023, 3, 1), sent=sent) == [
        ("2023-02-14", "1.1a", "ahead"), ("2023-02-24", "1.1a", "ahead"), ("2023-02-28", "1.1a", "due"),
        ("2023-03-01", "1.1a", "overdue")]


def test_no_due_date_once_a_calendar_month_on_the_first_working_day_run() -> None:
    a = ActionState(1, "4.1a", None, "amber")
    assert replay([a], D(2022, 12, 24), D(2023, 4, 30)) == [
        ("2022-12-28", "4.1a", "no-due-date"),   # 24-27 Dec: weekend and bank holidays
        ("2023-01-03", "4.1a", "no-due-date"),   # 1 Jan is a Sunday, 2 Jan a bank holiday
        ("2023-02-01", "4.1a", "no-due-date"),
        ("2023-03-01", "4.1a", "no-due-date"),
        ("2023-04-03", "4.1a", "no-due-date"),   # 1 Apr is a Saturday
    ]
    assert replay([a], D(2023, 1, 1), D(2023, 3, 1), rules=Rules(no_due_date_monthly=False)) == []


def test_every_number_is_configurable() -> None:
    rules = Rules(ahead_days=(10,), overdue_repeat_days=3, escalate_after_days=5)
    a = ActionState(1, "1.1a", D(2023, 3, 15), "amber")  # a Wednesday
    assert replay([a], D(2023, 3, 1), D(2023, 3, 27), rules=rules) == [
        ("2023-03-03", "1.1a", "ahead"), ("2023-03-15", "1.1a", "due"), ("2023-03-16", "1.1a", "overdue"),
        ("2023-03-20", "1.1a", "escalation"),  # 16+3 = Sun 19 -> Mon 20; 5 days after d
        ("2023-03-23", "1.1a", "escalation"), ("2023-03-27", "1.1a", "escalation")]


def test_scotland_and_northern_ireland_holidays() -> None:
    a = ActionState(1, "1.1a", D(2023, 1, 3), "amber")
    assert reminders_due([a], [], D(2023, 1, 3), WorkingCalendar("scotland")) == []  # 3 Jan is a Scottish holiday
    assert [r.kind for r in reminders_due([a], [], D(2023, 1, 4), WorkingCalendar("scotland"))] == ["overdue"]
    b = ActionState(2, "1.1b", D(2023, 3, 20), "amber")
    assert reminders_due([b], [], D(2023, 3, 17), WorkingCalendar("northern-ireland")) == []  # St Patrick's Day
    assert [r.kind for r in reminders_due([b], [], D(2023, 3, 17), ENG)] == ["ahead"]
    assert WorkingCalendar("none").is_working_day(D(2022, 12, 26))


def test_a_due_date_in_2103_is_far_ahead_and_sends_nothing_yet() -> None:
    a = ActionState(1, "2.2c", D(2103, 9, 30), "amber")
    assert replay([a], D(2022, 12, 1), D(2023, 3, 1)) == []
    assert stage_dates(D(2103, 9, 30), ENG)[0] == ("ahead-14", D(2103, 9, 14))
    extreme = ActionState(2, "9.9z", dt.date.max, "amber")
    assert reminders_due([extreme], [], D(2023, 1, 4), ENG) == []


def test_stage_dates_table_matches_the_replay() -> None:
    due = D(2023, 1, 3)
    table = stage_dates(due, ENG, overdue_count=3)
    assert table == [("ahead-14", D(2022, 12, 20)), ("ahead-3", D(2022, 12, 30)), ("due", D(2023, 1, 3)),
                     ("overdue-1", D(2023, 1, 4)), ("overdue-2", D(2023, 1, 11)), ("escalation-3", D(2023, 1, 18))]


@pytest.mark.parametrize("region", ["england-and-wales", "scotland", "northern-ireland", "none"])
def test_one_reminder_per_action_per_day_and_never_a_repeat(region: str) -> None:
    cal = WorkingCalendar(region)
    actions = [ActionState(i, f"r{i}", D(2022, 11, 1) + dt.timedelta(days=3 * i), None) for i in range(60)]
    got = replay(actions, D(2022, 12, 1), D(2023, 3, 1), calendar=cal)
    per_day = [(d, ref) for d, ref, _ in got]
    assert len(per_day) == len(set(per_day))
    assert all(cal.is_working_day(D.fromisoformat(d)) for d, _, _ in got)


def test_complete_actions_get_nothing_on_both_scales() -> None:
    due, today = D(2023, 3, 1), D(2023, 3, 1)
    rag_green = ActionState(1, "1.1", due, "green")  # RAG: green means complete
    brag_green = ActionState(2, "1.2", due, "green", complete=False, scale="brag")  # BRAG: green is on track
    brag_blue = ActionState(3, "1.3", due, "green", complete=True, scale="brag")  # BRAG: Blue is complete
    got = reminders_due([rag_green, brag_green, brag_blue], [], today, ENG)
    assert [(r.ref, r.kind) for r in got] == [("1.2", "due")]
