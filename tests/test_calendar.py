"""Governance calendar invitations: what attendees' Outlook receives, read back as a client would."""

from __future__ import annotations

import datetime as dt
import email
import json
from email import policy
from pathlib import Path

import icalendar
import pytest
import recurring_ical_events
from sqlalchemy import select

from planwarden.calendar import ics
from planwarden.calendar.events import plan_calendar
from planwarden.calendar.models import CalendarEvent
from planwarden.calendar.service import run
from planwarden.calendar.timezones import UnknownTimezone, vtimezone
from planwarden.cli import main
from planwarden.core.clock import FixedClock
from planwarden.core.config import ConfigError, load_config
from planwarden.core.db import session_scope
from planwarden.plan.models import OutboxMessage

LONDON = "Europe/London"

DIRECTORY = """
[[people]]
id = "sec"
name = "Rachel Hughes"
email = "rachel.hughes@example.org"

[[people]]
id = "ann"
name = "Ann Able"
email = "ann@example.org"

[[people]]
id = "bob"
name = "Bob Baker"
email = "bob@example.org"

[[people]]
id = "cat"
name = "Cat Cole"
email = "cat@example.org"

[[groups]]
name = "Improvement Board"
chair = "ann"
members = ["ann", "bob", "sec"]
"""

BOARD = """
[[meetings]]
id = "board"
title = "Improvement Board"
start = 2023-01-18T14:00:00
duration_minutes = 120
rrule = "FREQ=MONTHLY;BYDAY=3WE;COUNT=12"
location = "Committee Suite 1"
online_url = "https://teams.example.org/l/board"
attendees = ["Improvement Board"]
board = true
"""

CONFERENCE = """
[[meetings]]
id = "conference"
title = "Child Exploitation Conference"
start = 2023-01-31
location = "Main Hall"
attendees = ["ann", "cat"]
"""


def write_config(folder: Path, governance: str, directory: str = DIRECTORY, timezone: str = LONDON) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "directory.toml").write_text(directory, encoding="utf-8")
    (folder / "governance.toml").write_text('organiser = "sec"\n' + governance, encoding="utf-8")
    main_file = folder / "planwarden.toml"
    main_file.write_text(f"""directory = "directory.toml"
governance = "governance.toml"
[mail]
from_address = "plan@example.org"
from_name = "JTAI plan"
[[plans]]
key = "jtai"
timezone = "{timezone}"
secretary = "sec"
""", encoding="utf-8")
    return main_file


@pytest.fixture
def cfg_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str, clock: FixedClock) -> Path:
    folder = tmp_path / "cfg"
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(write_config(folder, BOARD + CONFERENCE)))
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", db_url)
    return folder


def send(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    capsys.readouterr()
    assert main(["calendar", "--send", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def outbox(url: str) -> list[OutboxMessage]:
    with session_scope(url) as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def calendar_part(raw: bytes) -> tuple[str, icalendar.Calendar, email.message.EmailMessage]:
    msg = email.message_from_bytes(raw, policy=policy.default)
    part = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
    method = part.get_param("method")
    assert f"text/calendar; charset=utf-8; method={method}\r\n".encode() in raw  # as Outlook writes it, unquoted
    return method, icalendar.Calendar.from_ical(part.get_content()), msg


# --------------------------------------------------------------------------- time zones


def test_london_vtimezone_is_two_yearly_rules_not_a_list_of_dates() -> None:
    text = vtimezone(LONDON, 2023).to_ical().decode()
    assert "RDATE" not in text
    tz = icalendar.Timezone.from_ical(text)
    std, dst = tz.standard[0], tz.daylight[0]
    assert str(std["TZNAME"]) == "GMT" and str(dst["TZNAME"]) == "BST"
    assert std["RRULE"]["BYMONTH"] == [10] and std["RRULE"]["BYDAY"] == ["-1SU"]
    assert dst["RRULE"]["BYMONTH"] == [3] and dst["RRULE"]["BYDAY"] == ["-1SU"]
    assert std.DTSTART == dt.datetime(1970, 10, 25, 2) and dst.DTSTART == dt.datetime(1970, 3, 29, 1)
    # and the rules it states are the real ones: the parsed zone agrees with zoneinfo
    parsed = icalendar.Timezone.from_ical(text).to_tz()
    for when in (dt.datetime(2023, 3, 26, 0, 59), dt.datetime(2023, 3, 26, 2, 0), dt.datetime(2023, 10, 29, 2, 0)):
        from zoneinfo import ZoneInfo
        assert when.replace(tzinfo=parsed).utcoffset() == when.replace(tzinfo=ZoneInfo(LONDON)).utcoffset()


def test_unknown_timezone_is_refused_with_file_and_key(tmp_path: Path) -> None:
    with pytest.raises(UnknownTimezone, match="Europe/Londn"):
        vtimezone("Europe/Londn", 2023)
    path = write_config(tmp_path / "cfg", BOARD, timezone="Europe/Londn")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.file == str(path) and err.value.key == "plans.0.timezone"
    assert "unknown timezone" in err.value.reason


# --------------------------------------------------------------------------- building


def test_series_and_all_day_event_as_outlook_reads_them(tmp_path: Path, clock: FixedClock) -> None:
    config = load_config(write_config(tmp_path / "cfg", BOARD.replace(
        'board = true', 'board = true\ncancelled = [2023-04-19]\nmoved = { "2023-02-15" = 2023-02-16T10:00:00 }')
        + CONFERENCE))
    board, conference = plan_calendar(config).events
    stamp = clock.now()
    cal = icalendar.Calendar.from_ical(ics.request(board, 3, stamp))
    assert str(cal["METHOD"]) == "REQUEST" and "planwarden" in str(cal["PRODID"])
    master, moved = cal.walk("VEVENT")
    assert str(master["UID"]) == "board@example.org" == str(moved["UID"])
    assert master["SEQUENCE"] == 3 and master["DTSTAMP"].dt == stamp
    assert master["DTSTART"].params["TZID"] == LONDON
    assert master["RRULE"]["FREQ"] == ["MONTHLY"] and master["RRULE"]["BYDAY"] == ["3WE"]
    assert [d.dt for d in master["EXDATE"].dts] == [dt.datetime(2023, 4, 19, 14, 0, tzinfo=board.start.tzinfo)]
    assert moved["RECURRENCE-ID"].dt.replace(tzinfo=None) == dt.datetime(2023, 2, 15, 14, 0)
    assert moved["DTSTART"].dt.replace(tzinfo=None) == dt.datetime(2023, 2, 16, 10, 0)
    organiser = master["ORGANIZER"]
    assert organiser == "mailto:rachel.hughes@example.org" and organiser.params["SENT-BY"] == "mailto:plan@example.org"
    attendees = {str(a): a.params for a in master["ATTENDEE"]}
    assert set(attendees) == {"mailto:ann@example.org", "mailto:bob@example.org"}  # not the organiser
    for params in attendees.values():
        assert (params["ROLE"], params["PARTSTAT"], params["RSVP"]) == ("REQ-PARTICIPANT", "NEEDS-ACTION", "TRUE")
    alarm = master.walk("VALARM")[0]
    assert alarm["ACTION"] == "DISPLAY" and alarm["TRIGGER"].dt == -dt.timedelta(minutes=15)
    vtz = cal.walk("VTIMEZONE")[0]
    assert "RRULE" in vtz.walk("STANDARD")[0] and "RDATE" not in vtz.to_ical().decode()

    day = icalendar.Calendar.from_ical(ics.request(conference, 0, stamp)).walk("VEVENT")[0]
    assert day["DTSTART"].dt == dt.date(2023, 1, 31) and day["DTSTART"].params.get("VALUE") == "DATE"
    assert day["DTEND"].dt == dt.date(2023, 2, 1)  # exclusive


def test_series_keeps_local_time_across_both_clock_changes(tmp_path: Path, clock: FixedClock) -> None:
    config = load_config(write_config(tmp_path / "cfg", BOARD.replace(
        'board = true', 'board = true\nmoved = { "2023-02-15" = 2023-02-16T10:00:00 }\ncancelled = [2023-04-19]')))
    data = ics.export([(e, 0, clock.now()) for e in plan_calendar(config).events], LONDON)
    cal = icalendar.Calendar.from_ical(data)
    seen = recurring_ical_events.of(cal).between(dt.date(2023, 1, 1), dt.date(2024, 1, 1))
    starts = sorted(e["DTSTART"].dt for e in seen)
    assert len(starts) == 11  # 12 less the cancelled April meeting
    assert dt.date(2023, 2, 15) not in [s.date() for s in starts] and dt.datetime(2023, 2, 16, 10, 0) in [
        s.replace(tzinfo=None) for s in starts]
    march, october = [s for s in starts if s.month == 3][0], [s for s in starts if s.month == 10][0]
    november = [s for s in starts if s.month == 11][0]
    assert (march.hour, october.hour, november.hour) == (14, 14, 14)  # wall clock unchanged...
    assert march.utcoffset() == dt.timedelta(0) and october.utcoffset() == dt.timedelta(hours=1)
    assert november.utcoffset() == dt.timedelta(0)  # ...while the UTC offset follows BST and GMT
    assert [s.date() for s in starts if s.month == 3] == [dt.date(2023, 3, 15)]


# --------------------------------------------------------------------------- the example config


def test_jtai_example_written_twice_is_identical(jtai_env: str, clock: FixedClock, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "a.ics", tmp_path / "b.ics"
    assert main(["calendar", "--out", str(first), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    clock.advance(days=3)
    assert main(["calendar", "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert report["file"] == str(first) and report["sent"] == [] and report["events"] >= 6
    cal = icalendar.Calendar.from_ical(first.read_bytes())
    events = {str(e["UID"]): e for e in cal.walk("VEVENT") if "RECURRENCE-ID" not in e}
    assert {"lscp-executive@example.org", "jtai-improvement-board@example.org",
            "jtai-masa-improvement-group@example.org", "jtai-executive-oversight-board@example.org",
            "child-exploitation-conference-2023@example.org"} <= set(events)
    conference = events["child-exploitation-conference-2023@example.org"]
    assert conference["DTSTART"].dt == dt.date(2023, 1, 31) and conference["DTEND"].dt == dt.date(2023, 2, 1)
    vtz = cal.walk("VTIMEZONE")
    assert len(vtz) == 1 and str(vtz[0]["TZID"]) == LONDON and "RRULE" in vtz[0].walk("DAYLIGHT")[0]
    board = events["jtai-improvement-board@example.org"]
    assert board["ORGANIZER"] == "mailto:rachel.hughes@example.org" and len(board["ATTENDEE"]) >= 5
    assert all(e["SEQUENCE"] == 0 for e in events.values())


# --------------------------------------------------------------------------- sending


def test_invites_update_in_place_and_cancel_cleanly(cfg_dir: Path, db_url: str, clock: FixedClock,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    first = send(capsys)
    assert sorted((m["uid"], m["method"], m["sequence"]) for m in first["sent"]) == [
        ("board@example.org", "REQUEST", 0), ("conference@example.org", "REQUEST", 0)]
    board = next(m for m in first["sent"] if m["uid"] == "board@example.org")
    assert board["to"] == ["ann@example.org", "bob@example.org"]
    assert len(outbox(db_url)) == 2

    assert send(capsys)["sent"] == []  # no change: nothing
    assert len(outbox(db_url)) == 2

    # the board moves from 14:00 to 10:00: one update, a higher SEQUENCE, to everyone invited
    gov = cfg_dir / "governance.toml"
    gov.write_text(gov.read_text().replace("2023-01-18T14:00:00", "2023-01-18T10:00:00"))
    clock.advance(hours=1)
    moved = send(capsys)["sent"]
    assert [(m["uid"], m["method"], m["sequence"], m["reason"]) for m in moved] == [
        ("board@example.org", "REQUEST", 1, "update")]
    method, cal, _ = calendar_part(outbox(db_url)[-1].raw)
    ev = cal.walk("VEVENT")[0]
    assert method == "REQUEST" == str(cal["METHOD"]) and ev["SEQUENCE"] == 1
    assert ev["DTSTART"].dt.hour == 10 and ev["DTSTAMP"].dt == clock.now()
    assert send(capsys)["sent"] == []

    # Bob leaves the board and Cat joins: Bob gets a cancellation, Cat the invitation, Ann nothing
    d = cfg_dir / "directory.toml"
    d.write_text(d.read_text().replace('members = ["ann", "bob", "sec"]', 'members = ["ann", "cat", "sec"]'))
    changed = send(capsys)["sent"]
    assert sorted((m["method"], m["to"], m["reason"]) for m in changed) == [
        ("CANCEL", ["bob@example.org"], "removed-attendee"), ("REQUEST", ["cat@example.org"], "added")]
    cancel = next(calendar_part(m.raw) for m in outbox(db_url)[-2:] if b"CANCEL" in m.raw)
    assert cancel[0] == "CANCEL" and cancel[1].walk("VEVENT")[0]["ATTENDEE"] == "mailto:bob@example.org"

    # the conference is deleted from the config: everyone holding it gets METHOD:CANCEL
    gov.write_text(gov.read_text().split("[[meetings]]\nid = \"conference\"")[0])
    gone = send(capsys)["sent"]
    assert [(m["uid"], m["method"], m["sequence"], m["to"]) for m in gone] == [
        ("conference@example.org", "CANCEL", 1, ["ann@example.org", "cat@example.org"])]
    method, cal, _ = calendar_part(outbox(db_url)[-1].raw)
    ev = cal.walk("VEVENT")[0]
    assert method == "CANCEL" == str(cal["METHOD"]) and str(ev["STATUS"]) == "CANCELLED" and ev["SEQUENCE"] == 1
    assert send(capsys)["sent"] == []
    with session_scope(db_url) as s:
        states = {r.key: (r.status, r.sequence) for r in s.scalars(select(CalendarEvent))}
    assert states == {"board": ("active", 2), "conference": ("cancelled", 1)}


def test_invitation_email_is_itip_outlook_accepts(cfg_dir: Path, db_url: str, capsys: pytest.CaptureFixture[str]
                                                  ) -> None:
    send(capsys)
    row = next(r for r in outbox(db_url) if r.kind == "invite" and "Improvement Board" in r.subject)
    method, cal, msg = calendar_part(row.raw)
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html", "text/calendar"]
    assert method == "REQUEST" == str(cal["METHOD"])
    assert attachment.get_content_type() == "application/ics" and attachment.get_filename() == "invite.ics"
    assert icalendar.Calendar.from_ical(attachment.get_content())["METHOD"] == "REQUEST"
    assert row.subject.startswith("Invitation: Improvement Board")
    assert msg["Reply-To"] == "rachel.hughes@example.org" and "plan@example.org" in msg["From"]
    assert msg["To"] == "ann@example.org, bob@example.org"
    assert "Committee Suite 1" in alternative.get_payload()[0].get_content()
    assert row.dedupe_key.startswith("invite:board@example.org:0:REQUEST:")


def test_past_events_are_not_invited_and_pruning_them_cancels_nothing(cfg_dir: Path, db_url: str,
                                                                      clock: FixedClock,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    send(capsys)
    clock.set(dt.datetime(2023, 3, 1, 9, 0))
    gov = cfg_dir / "governance.toml"
    gov.write_text(gov.read_text().split("[[meetings]]\nid = \"conference\"")[0])  # held in January
    assert send(capsys)["sent"] == []
    with session_scope(db_url) as s:
        assert s.scalar(select(CalendarEvent.status).where(CalendarEvent.key == "conference")) == "retired"


# --------------------------------------------------------------------------- bad input


def test_meeting_without_attendees_is_published_but_not_sent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            sqlite_url: str, clock: FixedClock,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(write_config(tmp_path / "c", CONFERENCE.replace(
        'attendees = ["ann", "cat"]', ""))))
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    out = tmp_path / "cal.ics"
    report = send(capsys, "--out", str(out))
    assert report["sent"] == [] and any("no attendees" in w for w in report["warnings"])
    assert len(icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")) == 1


@pytest.mark.parametrize("governance, key, reason", [
    (BOARD.replace('attendees = ["Improvement Board"]', 'attendees = ["Improvement Board", "nobody"]'),
     "meetings.0.attendees.1", "neither a person id nor a group"),
    (BOARD.replace("duration_minutes = 120", "end = 2023-01-18T13:00:00"), "meetings.0", "before it starts"),
    (BOARD + BOARD, "-", "meeting listed twice: board"),
    (BOARD.replace("COUNT=12", "COUNT=twelve"), "meetings.0", "not a valid RRULE"),
])
def test_bad_governance_config_names_file_key_and_reason(tmp_path: Path, governance: str, key: str,
                                                         reason: str) -> None:
    path = write_config(tmp_path / "cfg", governance)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.file == str(tmp_path / "cfg" / "governance.toml")
    assert err.value.key == key and reason in err.value.reason


def test_rrule_that_never_ends_is_sent_and_expanded_in_windows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              sqlite_url: str, clock: FixedClock,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(write_config(tmp_path / "c", BOARD.replace(";COUNT=12", ""))))
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    out = tmp_path / "cal.ics"
    report = send(capsys, "--out", str(out))
    assert [m["method"] for m in report["sent"]] == ["REQUEST"]
    cal = icalendar.Calendar.from_ical(out.read_bytes())
    assert "COUNT" not in cal.walk("VEVENT")[0]["RRULE"] and "UNTIL" not in cal.walk("VEVENT")[0]["RRULE"]
    assert len(recurring_ical_events.of(cal).between(dt.date(2030, 1, 1), dt.date(2031, 1, 1))) == 12
    with session_scope(sqlite_url) as s:
        assert s.scalar(select(CalendarEvent.last_day)) is None


# --------------------------------------------------------------------------- feeds and packs


def test_feed_is_publish_without_organiser(cfg_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    feed = tmp_path / "governance.ics"
    assert main(["calendar", "--feed", str(feed), "--json"]) == 0
    cal = icalendar.Calendar.from_ical(feed.read_bytes())
    assert str(cal["METHOD"]) == "PUBLISH"
    for ev in cal.walk("VEVENT"):
        assert "ORGANIZER" not in ev and "ATTENDEE" not in ev and "VALARM" not in ev.to_ical().decode()
    assert {str(e["UID"]) for e in cal.walk("VEVENT")} == {"board@example.org", "conference@example.org"}


def test_built_pack_adds_a_note_to_that_meeting_as_an_update(cfg_dir: Path, db_url: str, clock: FixedClock,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import inspect, text

    send(capsys)
    with session_scope(db_url) as s:
        if "pack_snapshots" not in inspect(s.connection()).get_table_names():
            pytest.skip("the pack feature's table is not installed")
        s.execute(text(
            "INSERT INTO pack_snapshots (plan_key, as_of, cutoff, month, meeting_id, meeting_date, sha256, files, "
            "counts, created_at) VALUES ('jtai', :d, :c, '2023-02', 'board', :m, 'x', :f, '{}', :c)"),
            {"d": dt.date(2023, 2, 8), "c": dt.datetime(2023, 2, 8, 7), "m": dt.date(2023, 2, 15),
             "f": json.dumps({"pdf": "/data/packs/jtai-2023-02.pdf"})})
    update = send(capsys)["sent"]
    assert [(m["uid"], m["sequence"], m["method"]) for m in update] == [("board@example.org", 1, "REQUEST")]
    _, cal, _ = calendar_part(outbox(db_url)[-1].raw)
    note = [e for e in cal.walk("VEVENT") if "RECURRENCE-ID" in e]
    assert len(note) == 1 and note[0]["RECURRENCE-ID"].dt.date() == dt.date(2023, 2, 15)
    assert "jtai-2023-02.pdf" in str(note[0]["DESCRIPTION"])
    assert send(capsys)["sent"] == []


def test_owner_feeds_hold_each_owners_due_dates(cfg_dir: Path, db_url: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from planwarden.core.config import PlanConfig
    from planwarden.plan.directory import Directory
    from planwarden.importing.parsed import ParsedAction, ParsedArea, ParsedPlan, ParsedSection
    from planwarden.importing.writer import PlanWriter

    config = load_config()
    parsed = ParsedPlan(
        title="JTAI", update_date=dt.date(2022, 12, 14),
        sections=[ParsedSection("1", "Voices", [ParsedArea("1.1", "Practice")])],
        actions=[ParsedAction("1.1a", "Develop guidance.", "Ann Able", "28 February 2023", dt.date(2023, 2, 28), [],
                              "amber", "", "1", "1.1"),
                 ParsedAction("1.1b", "Hold masterclasses.", "Ann Able and Bob Baker", "N/A", None, [], "green", "",
                              "1", "1.1")])
    with session_scope(db_url) as s:
        PlanWriter(s, PlanConfig(key="jtai"), Directory(config.directory), actor="test", source="import",
                   source_ref="t.txt").write(parsed)
    folder = tmp_path / "owners"
    assert main(["calendar", "--owners", str(folder), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["owners"] == [str(folder / "ann.ics")]  # Bob's action has no date
    cal = icalendar.Calendar.from_ical((folder / "ann.ics").read_bytes())
    assert str(cal["METHOD"]) == "PUBLISH"
    (ev,) = cal.walk("VEVENT")
    assert str(ev["UID"]) == "action-jtai-1.1a@example.org" and "ORGANIZER" not in ev
    assert ev["DTSTART"].dt == dt.date(2023, 2, 28) and ev["DTEND"].dt == dt.date(2023, 3, 1)
    assert str(ev["SUMMARY"]).startswith("Due: 1.1a Develop guidance")
    first = (folder / "ann.ics").read_bytes()
    assert main(["calendar", "--owners", str(folder)]) == 0
    assert (folder / "ann.ics").read_bytes() == first


def test_daily_flow_sends_what_changed_once(cfg_dir: Path, sqlite_url: str, db_url: str, tmp_path: Path,
                                            prefect_harness: None) -> None:
    if db_url != sqlite_url:
        pytest.skip("one database is enough to check the flow's wiring")
    from planwarden.orchestration.flows.governance_calendar import governance_calendar

    first = governance_calendar(plan_key="jtai", feeds_dir=str(tmp_path / "feeds"))
    assert sorted(m["uid"] for m in first["sent"]) == ["board@example.org", "conference@example.org"]
    assert (tmp_path / "feeds" / "governance.ics").exists()
    assert first["delivered"] is not None  # the outbox folder transport wrote them
    assert len(list((Path(load_config().mail_dir("outbox"))).glob("*.eml"))) == 2
    again = governance_calendar(plan_key="jtai", feeds_dir=str(tmp_path / "feeds"))
    assert again["sent"] == [] and again["delivered"]["sent"] == 0  # delivery always runs, sends nothing new
