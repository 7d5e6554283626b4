"""Every calendar file planwarden writes, opened with ical.js (Mozilla's parser, used by
Thunderbird and many web calendars): what a board member or an action owner would see.

The reader is ``tests/clients/icaljs_read.mjs`` (ical.js pinned in
``tests/clients/package-lock.json``, installed by ``make install``). It works out every
time from the file's own VTIMEZONE, so these tests check our time zone rules as well as
our events; expected instants come from Python's zoneinfo, independently.
Where node or ical.js is missing the tests skip with a message saying how to enable
them, except under CI=true, where they fail (as the PostgreSQL tests do).
"""

from __future__ import annotations

import datetime as dt
import email
import json
import os
import shutil
import subprocess
from email import policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from planwarden.cli import main
from planwarden.core.clock import FixedClock
from planwarden.core.db import session_scope
from planwarden.plan.models import OutboxMessage
from test_calendar import write_config

CLIENTS = Path(__file__).parent / "clients"
READER = CLIENTS / "icaljs_read.mjs"
ICALJS_HOW = ("ical.js is not installed ({problem}): run `make install` (it runs `npm ci` in tests/clients; "
              "needs node and npm: apt-get install nodejs npm)")
LONDON = ZoneInfo("Europe/London")

# Text a user would type, with everything iCalendar must escape or fold: commas,
# semicolons, apostrophes, newlines, dashes and accents, a 4-byte emoji, and a Windows
# share (backslashes, one before an N).
PLACE = "Children's Services; Room 2, Town Hall – é"
SHARE = "Papers: \\\\council\\Nursing\\Board packs\\"
TITLE = "Improvement Board – Children's Services; Q1, 2023"
AGENDA = ("Agenda: item 1, item 2; item 3.\nSecond line – naïve café ✓ 😀 "
          + "é" * 40 + " Ünïcödé, ‘quoted’; end.\n" + SHARE)
OWNER = "Zoë O'Brien"

DIRECTORY = f"""
[[people]]
id = "sec"
name = "Rachel Hughes"
email = "rachel.hughes@example.org"

[[people]]
id = "zoe"
name = "{OWNER}"
email = "zoe.obrien@example.org"

[[people]]
id = "jim"
name = 'Dr "Jim" Ó Briain, Head of Service; Children’s'
email = "jim@example.org"

[[groups]]
name = "Improvement Board"
members = ["zoe", "jim", "sec"]
"""

# A monthly board on the third Wednesday at 14:00 through 2023: GMT until 26 March, BST
# until 29 October, GMT again. The March meeting moves past the spring change, the
# October one past the autumn change, April's is cancelled.
BOARD = f"""
[[meetings]]
id = "board"
title = "{TITLE}"
start = 2023-01-18T14:00:00
duration_minutes = 120
rrule = "FREQ=MONTHLY;BYDAY=3WE;COUNT=12"
location = '''{PLACE}'''
description = '''{AGENDA}'''
online_url = "https://teams.example.org/l/meetup-join/board"
attendees = ["Improvement Board"]
cancelled = [2023-04-19]
moved = {{ "2023-03-15" = 2023-03-29T10:00:00, "2023-10-18" = 2023-11-01T09:30:00 }}
board = true
"""

# All day on the Sunday the clocks go forward; a week ending on the Sunday they go back.
CONFERENCE = """
[[meetings]]
id = "conference"
title = "Child Exploitation Conference"
start = 2023-03-26
location = "Main Hall"
attendees = ["zoe"]
"""

WEEK = """
[[meetings]]
id = "learning-week"
title = "Learning Week"
start = 2023-10-23
end = 2023-10-29
attendees = ["Improvement Board"]
"""


# --------------------------------------------------------------------------- the reader


@pytest.fixture(scope="session")
def icaljs() -> str:
    """The node binary, once ical.js is known to be installed and working."""
    problem = _icaljs_problem()
    if problem and os.environ.get("CI") == "true":
        pytest.fail(ICALJS_HOW.format(problem=problem) + "; under CI=true the ical.js tests must run")
    if problem:
        pytest.skip(ICALJS_HOW.format(problem=problem))
    return shutil.which("node") or "node"


def _icaljs_problem() -> str | None:
    node = shutil.which("node")
    if node is None:
        return "node is not on PATH"
    if not (CLIENTS / "node_modules" / "ical.js" / "package.json").exists():
        return "tests/clients/node_modules/ical.js is missing"
    return None


def read(node: str, data: bytes, occurrences: int = 60) -> dict[str, Any]:
    """What ical.js makes of one .ics: the file fails the test if ical.js cannot parse it."""
    done = subprocess.run([node, str(READER), "-", "--max", str(occurrences)], input=data, capture_output=True,
                          timeout=60, check=False)
    assert done.returncode == 0, f"ical.js could not read the file: {done.stderr.decode(errors='replace')}"
    return json.loads(done.stdout)


def london(local: str) -> str:
    """The UTC instant of a Europe/London wall-clock time, by zoneinfo (not by our VTIMEZONE)."""
    instant = dt.datetime.fromisoformat(local).replace(tzinfo=LONDON).astimezone(dt.timezone.utc)
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def series(report: dict[str, Any], uid: str) -> dict[str, Any]:
    (master,) = [e for e in report["events"] if e["uid"] == uid and e["recurrence_id"] is None]
    return master


def assert_lines_legal(report: dict[str, Any], what: str) -> None:
    lines = report["lines"]
    assert lines["over_75"] == [] and lines["max_octets"] <= 75, f"{what}: lines over 75 octets {lines}"
    assert lines["broken_utf8"] == [], f"{what}: a fold splits a UTF-8 character on lines {lines['broken_utf8']}"
    assert lines["bare_lf"] == 0, f"{what}: lines must end in CRLF"


# --------------------------------------------------------------------------- set-up


@pytest.fixture
def cfg_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_url: str, clock: FixedClock) -> Path:
    """File content does not depend on the database: SQLite is enough (test_calendar.py runs both)."""
    folder = tmp_path / "cfg"
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(write_config(folder, BOARD + CONFERENCE + WEEK, DIRECTORY)))
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    return folder


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["calendar", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def invitations(url: str) -> list[tuple[str, bytes, str]]:
    """(MIME method parameter, the text/calendar bytes as a mail client decodes them, subject) per invite."""
    with session_scope(url) as s:
        rows = list(s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invite")
                              .order_by(OutboxMessage.id)))
        raws = [(r.raw, r.subject) for r in rows]
    out = []
    for raw, subject in raws:
        msg = email.message_from_bytes(raw, policy=policy.default)
        part = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
        out.append((str(part.get_param("method")), part.get_payload(decode=True), subject))
    return out


# --------------------------------------------------------------------------- the full export and the feed


def expected_board_starts() -> list[str]:
    """The board as the config says, in local time: rule dates, less April, two moved."""
    rule = [dt.date(2023, m, 1) for m in range(1, 13)]
    third_wednesdays = [d + dt.timedelta(days=(2 - d.weekday()) % 7 + 14) for d in rule]
    moved = {dt.date(2023, 3, 15): "2023-03-29T10:00:00", dt.date(2023, 10, 18): "2023-11-01T09:30:00"}
    return sorted(moved.get(d, f"{d.isoformat()}T14:00:00") for d in third_wednesdays if d != dt.date(2023, 4, 19))


def test_export_shows_london_times_on_both_sides_of_each_clock_change(
        cfg_dir: Path, tmp_path: Path, icaljs: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "governance-full.ics"
    cli(capsys, "--out", str(out))
    report = read(icaljs, out.read_bytes())
    assert report["method"] is None  # plain data, as CalDAV stores it
    assert report["timezones"] == ["Europe/London"]
    (rules,) = report["timezone_rules"]
    assert sorted((p["kind"], p["rrule"], p["rdates"]) for p in rules["parts"]) == [
        ("daylight", "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", 0), ("standard", "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", 0)]

    board = series(report, "board@example.org")
    starts = [o["start"] for o in board["occurrences"]]
    assert [s["local"] for s in starts] == expected_board_starts()  # none lost, none doubled
    assert [s["utc"] for s in starts] == [london(s["local"]) for s in starts]
    by_day = {s["local"][:10]: s["utc"] for s in starts}
    assert by_day["2023-02-15"] == "2023-02-15T14:00:00Z"  # GMT
    assert by_day["2023-03-29"] == "2023-03-29T09:00:00Z"  # moved past the spring change: BST
    assert by_day["2023-09-20"] == "2023-09-20T13:00:00Z"  # BST
    assert by_day["2023-11-01"] == "2023-11-01T09:30:00Z"  # moved past the autumn change: GMT
    assert by_day["2023-11-15"] == "2023-11-15T14:00:00Z"
    assert all(e["dtstamp"]["utc"] and e["sequence"] == 0 for e in report["events"])
    ends = [o["end"]["local"][11:] for o in board["occurrences"]]
    assert ends.count("16:00:00") == 9 and sorted(ends)[:2] == ["11:30:00", "12:00:00"]  # two hours each
    moved = [o for o in board["occurrences"] if o["exception"]]
    assert [o["recurrence_id"]["local"] for o in moved] == ["2023-03-15T14:00:00", "2023-10-18T14:00:00"]
    assert [e["local"] for e in board["exdates"]] == ["2023-04-19T14:00:00"]

    days = {e["uid"]: e for e in report["events"] if e["all_day"]}
    conference, week = days["conference@example.org"], days["learning-week@example.org"]
    assert (conference["start"]["date"], conference["end"]["date"]) == ("2023-03-26", "2023-03-27")
    assert (week["start"]["date"], week["end"]["date"]) == ("2023-10-23", "2023-10-30")  # DTEND exclusive
    assert (conference["transp"], week["transp"]) == ("OPAQUE", "TRANSPARENT")
    assert_lines_legal(report, "--out")


def test_text_comes_back_exactly_as_typed(cfg_dir: Path, tmp_path: Path, icaljs: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out, feed = tmp_path / "full.ics", tmp_path / "feed.ics"
    cli(capsys, "--out", str(out), "--feed", str(feed))
    for name, data in (("--out", out.read_bytes()), ("--feed", feed.read_bytes())):
        report = read(icaljs, data)
        board = [e for e in report["events"] if e["uid"] == "board@example.org"]
        assert len(board) == 3  # the series and its two moved meetings
        for ev in board:
            assert ev["summary"] == TITLE and ev["location"] == PLACE, name
            assert ev["description"].startswith(AGENDA + "\n\n"), name
            assert ev["description"].endswith("Join online: https://teams.example.org/l/meetup-join/board"), name
        assert_lines_legal(report, name)
    people = read(icaljs, out.read_bytes())["events"][0]
    assert {a["email"]: a["cn"] for a in people["attendees"]} == {
        "zoe.obrien@example.org": OWNER, "jim@example.org": 'Dr "Jim" Ó Briain, Head of Service; Children’s'}


def test_feed_is_published_without_people_and_matches_the_export(
        cfg_dir: Path, tmp_path: Path, icaljs: str, capsys: pytest.CaptureFixture[str]) -> None:
    out, feed = tmp_path / "full.ics", tmp_path / "feed.ics"
    cli(capsys, "--out", str(out), "--feed", str(feed))
    full, published = read(icaljs, out.read_bytes()), read(icaljs, feed.read_bytes())
    assert published["method"] == "PUBLISH" and published["refresh_interval"] == "PT12H"
    for ev in published["events"]:
        assert ev["method"] == "PUBLISH" and ev["organizer"] is None and ev["attendees"] == [] and ev["alarms"] == []
        assert ev["dtstamp"] and ev["dtstamp"]["utc"]

    def seen(report: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
        return sorted((e["uid"], e["start"]["utc"] or e["start"]["date"], str(len(e["occurrences"])))
                      for e in report["events"])

    assert seen(published) == seen(full)
    assert {e["uid"] for e in published["events"]} == {
        "board@example.org", "conference@example.org", "learning-week@example.org"}


def test_uids_are_the_same_on_another_run_and_another_database(
        cfg_dir: Path, tmp_path: Path, icaljs: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, clock: FixedClock) -> None:
    first, second = tmp_path / "a.ics", tmp_path / "b.ics"
    cli(capsys, "--out", str(first))
    clock.advance(days=2)
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    cli(capsys, "--out", str(second))
    a, b = read(icaljs, first.read_bytes()), read(icaljs, second.read_bytes())
    assert [(e["uid"], e["recurrence_id"]) for e in a["events"]] == [(e["uid"], e["recurrence_id"])
                                                                    for e in b["events"]]
    assert len({e["uid"] for e in a["events"]}) == 3


# --------------------------------------------------------------------------- invitations by mail


def test_invitation_update_and_cancellation_as_a_client_reads_them(
        cfg_dir: Path, sqlite_url: str, icaljs: str, clock: FixedClock,
        capsys: pytest.CaptureFixture[str]) -> None:
    first = cli(capsys, "--send")
    assert len(first["sent"]) == 3
    sent = invitations(sqlite_url)
    for mime_method, data, subject in sent:
        report = read(icaljs, data)
        assert mime_method == report["method"] == "REQUEST", subject  # Outlook ignores a mismatch
        for ev in report["events"]:
            assert ev["organizer"]["email"] == "rachel.hughes@example.org", subject
            assert ev["organizer"]["sent_by"] == "mailto:plan@example.org"
            assert ev["sequence"] == 0 and ev["status"] == "CONFIRMED" and ev["dtstamp"]["utc"]
            assert "rachel.hughes@example.org" not in {a["email"] for a in ev["attendees"]}
            assert all(a["partstat"] == "NEEDS-ACTION" and a["rsvp"] == "TRUE" for a in ev["attendees"])
        assert_lines_legal(report, subject)
    board = read(icaljs, next(d for _, d, s in sent if TITLE in s))
    assert [o["start"]["utc"] for o in series(board, "board@example.org")["occurrences"]] == [
        london(s) for s in expected_board_starts()]

    # the secretary moves June's board a day later, and drops the conference
    gov = cfg_dir / "governance.toml"
    gov.write_text(gov.read_text(encoding="utf-8").replace(CONFERENCE, "").replace(
        '"2023-10-18" = 2023-11-01T09:30:00', '"2023-10-18" = 2023-11-01T09:30:00, "2023-06-21" = 2023-06-22T15:00:00'),
        encoding="utf-8")
    clock.advance(hours=3)
    second = cli(capsys, "--send")
    assert sorted((m["uid"], m["method"]) for m in second["sent"]) == [
        ("board@example.org", "REQUEST"), ("conference@example.org", "CANCEL")]
    later = invitations(sqlite_url)[len(sent):]
    update = read(icaljs, next(d for m, d, _ in later if m == "REQUEST"))
    assert {(e["uid"], e["sequence"]) for e in update["events"]} == {("board@example.org", 1)}
    master = series(update, "board@example.org")
    june = [o for o in master["occurrences"] if o["recurrence_id"]["local"].startswith("2023-06-21")]
    assert [(o["start"]["local"], o["start"]["utc"]) for o in june] == [("2023-06-22T15:00:00",
                                                                         "2023-06-22T14:00:00Z")]
    assert len(master["occurrences"]) == 11  # the move replaced June: still none lost or doubled
    assert master["dtstamp"]["utc"] == "2022-12-14T12:00:00Z"  # this version's, newer than the first

    mime_method, data, _ = next(x for x in later if x[0] == "CANCEL")
    cancel = read(icaljs, data)
    assert mime_method == cancel["method"] == "CANCEL"
    (gone,) = cancel["events"]
    assert (gone["uid"], gone["sequence"], gone["status"]) == ("conference@example.org", 1, "CANCELLED")
    assert gone["start"]["date"] == "2023-03-26" and gone["organizer"]["email"] == "rachel.hughes@example.org"
    assert [a["email"] for a in gone["attendees"]] == ["zoe.obrien@example.org"]
    assert_lines_legal(cancel, "CANCEL")

    # Jim leaves the board: he alone is told, by a CANCEL naming him, with a higher SEQUENCE
    d = cfg_dir / "directory.toml"
    d.write_text(d.read_text(encoding="utf-8").replace('members = ["zoe", "jim", "sec"]', 'members = ["zoe", "sec"]'),
                 encoding="utf-8")
    clock.advance(hours=1)
    assert sorted((m["uid"], m["method"], m["to"]) for m in cli(capsys, "--send")["sent"]) == [
        ("board@example.org", "CANCEL", ["jim@example.org"]),
        ("learning-week@example.org", "CANCEL", ["jim@example.org"])]
    for mime_method, data, _ in invitations(sqlite_url)[-2:]:
        removed = read(icaljs, data)
        assert mime_method == removed["method"] == "CANCEL"
        (ev,) = removed["events"]  # the series alone: its moved meetings go with it
        assert (ev["sequence"], ev["status"]) == ({"board@example.org": 2, "learning-week@example.org": 1}[ev["uid"]],
                                                  "CANCELLED")
        assert [a["email"] for e in removed["events"] for a in e["attendees"]] == ["jim@example.org"]


# --------------------------------------------------------------------------- owners' due dates


def test_owner_feed_due_dates_land_on_their_day(cfg_dir: Path, sqlite_url: str, tmp_path: Path, icaljs: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from planwarden.core.config import PlanConfig, load_config
    from planwarden.importing.parsed import ParsedAction, ParsedArea, ParsedPlan, ParsedSection
    from planwarden.importing.writer import PlanWriter
    from planwarden.plan.directory import Directory

    config = load_config()
    text = f"Review the front door; agree thresholds, with police – and report to the Board (Zoë). {SHARE}"
    dues = {"1.1a": dt.date(2023, 3, 26), "1.1b": dt.date(2023, 10, 29), "1.1c": dt.date(2023, 12, 31)}
    parsed = ParsedPlan(
        title="JTAI – Children’s", update_date=dt.date(2022, 12, 14),
        sections=[ParsedSection("1", "Voices", [ParsedArea("1.1", "Practice")])],
        actions=[ParsedAction(ref, f"{text} ({ref})", OWNER, due.isoformat(), due, [], "amber", "", "1", "1.1")
                 for ref, due in dues.items()])
    with session_scope(sqlite_url) as s:
        PlanWriter(s, PlanConfig(key="jtai"), Directory(config.directory), actor="test", source="import",
                   source_ref="t.txt").write(parsed)
    folder = tmp_path / "owners"
    assert cli(capsys, "--owners", str(folder))["owners"] == [str(folder / "zoe.ics")]
    report = read(icaljs, (folder / "zoe.ics").read_bytes())
    assert report["method"] == "PUBLISH" and report["calname"] == f"Action due dates: {OWNER}"
    got = {e["uid"]: e for e in report["events"]}
    assert sorted(got) == [f"action-jtai-{ref}@example.org" for ref in dues]
    for ref, due in dues.items():
        ev = got[f"action-jtai-{ref}@example.org"]
        assert ev["all_day"] and ev["start"]["date"] == due.isoformat()
        assert ev["end"]["date"] == (due + dt.timedelta(days=1)).isoformat()
        title = ev["summary"].removeprefix(f"Due: {ref} ")
        assert title.endswith("…") and f"{text} ({ref})".startswith(title[:-1]) and len(title) > 60
        assert f"{ref}: {text} ({ref})" in ev["description"] and f"Owner: {OWNER}" in ev["description"]
        assert ev["organizer"] is None and ev["transp"] == "TRANSPARENT" and ev["dtstamp"]["utc"]
    assert_lines_legal(report, "owner feed")


# --------------------------------------------------------------------------- rules as users write them


# Series as a secretary might write them: UNTIL as a plain date or a local time (the only
# forms the config accepts), and a first meeting that is not itself a date of the rule.
AWKWARD = """
[[meetings]]
id = "until-date"
title = "Until a date"
start = 2023-01-18T14:00:00
rrule = "FREQ=MONTHLY;BYDAY=3WE;UNTIL=20230621"
attendees = ["zoe"]

[[meetings]]
id = "until-local"
title = "Until a local time"
start = 2023-09-07T10:00:00
rrule = "FREQ=WEEKLY;BYDAY=TH;UNTIL=20231102T100000"
attendees = ["zoe"]

[[meetings]]
id = "first-off-rule"
title = "First meeting off the rule"
start = 2023-01-10T14:00:00
rrule = "FREQ=MONTHLY;BYDAY=3WE;COUNT=3"
attendees = ["zoe"]

[[meetings]]
id = "weekly-days"
title = "Weekly all-day"
start = 2023-03-20
rrule = "FREQ=WEEKLY;UNTIL=20230403T090000"
attendees = ["zoe"]
"""

# Moves and cancellations of first meetings, extra dates and all-day series.
EDITED = """
[[meetings]]
id = "first-cancelled"
title = "First one cancelled"
start = 2023-02-01T09:00:00
rrule = "FREQ=WEEKLY;COUNT=4"
cancelled = [2023-02-01]
attendees = ["zoe"]

[[meetings]]
id = "first-moved"
title = "First one moved"
start = 2023-02-02T09:00:00
rrule = "FREQ=WEEKLY;COUNT=3"
moved = { "2023-02-02" = 2023-02-03T11:00:00 }
attendees = ["zoe"]

[[meetings]]
id = "off-rule-moved"
title = "Off the rule and moved"
start = 2023-05-02T16:00:00
rrule = "FREQ=MONTHLY;BYDAY=1WE;COUNT=2"
moved = { "2023-05-02" = 2023-05-04T16:00:00, "2023-06-07" = 2023-06-08T16:00:00 }
attendees = ["zoe"]

[[meetings]]
id = "extra-dates"
title = "Extra dates"
start = 2023-05-10T18:00:00
dates = [2023-06-14, 2023-07-12, 2023-08-09]
moved = { "2023-06-14" = 2023-06-15T18:30:00 }
cancelled = [2023-07-12]
attendees = ["zoe"]

[[meetings]]
id = "one-off-moved"
title = "One-off moved"
start = 2023-03-01T10:00:00
moved = { "2023-03-01" = 2023-03-02T10:00:00 }
attendees = ["zoe"]

[[meetings]]
id = "day-series"
title = "All-day series"
start = 2023-09-04
rrule = "FREQ=WEEKLY;COUNT=4"
moved = { "2023-09-11" = 2023-09-12T00:00:00 }
cancelled = [2023-09-18]
attendees = ["zoe"]
"""


def client_view(report: dict[str, Any]) -> list[tuple[str, str]]:
    """(title, local start or date) of every meeting a client shows, series expanded."""
    out = []
    for ev in report["events"]:
        if ev["recurrence_id"] is not None:
            continue  # shown through its series
        found = ev["occurrences"] or [ev]
        out.extend((o["summary"], o["start"]["local"] or o["start"]["date"]) for o in found)
    return sorted(out)


def planwarden_view(first: dt.date, last: dt.date) -> list[tuple[str, str]]:
    """The meetings planwarden itself schedules (reminders, packs, the console's next board)."""
    from planwarden.calendar.governance import upcoming
    from planwarden.core.config import load_config

    return sorted((o.meeting.title, o.start.replace(tzinfo=None).isoformat() if isinstance(o.start, dt.datetime)
                   else o.start.isoformat()) for o in upcoming(load_config().governance, "Europe/London", first, last))


def test_client_shows_the_meetings_planwarden_schedules(cfg_dir: Path, tmp_path: Path, icaljs: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    (cfg_dir / "governance.toml").write_text('organiser = "sec"\n' + BOARD + CONFERENCE + WEEK + AWKWARD + EDITED,
                                             encoding="utf-8")
    out = tmp_path / "full.ics"
    report = cli(capsys, "--out", str(out))
    client = client_view(read(icaljs, out.read_bytes()))
    assert client == planwarden_view(dt.date(2022, 1, 1), dt.date(2025, 1, 1))
    assert [day for title, day in client if title == "Until a date"][-1] == "2023-06-21T14:00:00"
    assert [day for title, day in client if title == "Until a local time"][-2:] == [
        "2023-10-26T10:00:00", "2023-11-02T10:00:00"]  # BST, then GMT
    assert [day for title, day in client if title == "First meeting off the rule"] == [
        "2023-01-10T14:00:00", "2023-01-18T14:00:00", "2023-02-15T14:00:00", "2023-03-15T14:00:00"]
    assert [day for title, day in client if title == "Weekly all-day"] == [
        "2023-03-20", "2023-03-27", "2023-04-03"]
    assert [day for title, day in client if title == "First one cancelled"] == [
        "2023-02-08T09:00:00", "2023-02-15T09:00:00", "2023-02-22T09:00:00"]
    assert [day for title, day in client if title == "First one moved"][0] == "2023-02-03T11:00:00"
    assert [day for title, day in client if title == "Off the rule and moved"] == [
        "2023-05-03T16:00:00", "2023-05-04T16:00:00", "2023-06-08T16:00:00"]
    assert [day for title, day in client if title == "Extra dates"] == [
        "2023-05-10T18:00:00", "2023-06-15T18:30:00", "2023-08-09T18:00:00"]
    assert [day for title, day in client if title == "One-off moved"] == ["2023-03-02T10:00:00"]
    assert [day for title, day in client if title == "All-day series"] == ["2023-09-04", "2023-09-12", "2023-09-25"]
    assert any("first-off-rule" in w and "2023-01-10" in w for w in report["warnings"])


def test_until_is_written_as_rfc_5545_requires(cfg_dir: Path, tmp_path: Path, icaljs: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """UNTIL in UTC for a series with a time zone, a DATE for an all-day series (RFC 5545
    3.3.10): Outlook and Google refuse or misread the other forms."""
    (cfg_dir / "governance.toml").write_text('organiser = "sec"\n' + AWKWARD, encoding="utf-8")
    out = tmp_path / "full.ics"
    cli(capsys, "--out", str(out), "--send")
    rules = {e["uid"]: e["rrule"] for e in read(icaljs, out.read_bytes())["events"] if e["rrule"]}
    assert "UNTIL=20230621T130000Z" in rules["until-date@example.org"]  # 14:00 BST
    assert "UNTIL=20231102T100000Z" in rules["until-local@example.org"]  # 10:00 GMT
    assert "UNTIL=20230403;" in rules["weekly-days@example.org"] + ";"


def test_long_text_is_folded_at_75_octets_without_splitting_a_character(
        cfg_dir: Path, tmp_path: Path, icaljs: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Two-, three- and four-byte characters, shifted by 0 to 4 octets so that a fold falls
    at every position inside one of them."""
    titles = {f"fold-{k}": "x" * k + "é€😀 " * 30 for k in range(5)}
    meetings = "".join(f"""
[[meetings]]
id = "{key}"
title = "{title}"
start = 2023-06-0{i + 1}T10:00:00
location = "{title[::-1]}"
attendees = ["zoe"]
""" for i, (key, title) in enumerate(titles.items()))
    (cfg_dir / "governance.toml").write_text('organiser = "sec"\n' + meetings, encoding="utf-8")
    out = tmp_path / "full.ics"
    cli(capsys, "--out", str(out))
    assert any(len(line) > 75 for line in out.read_bytes().decode().replace("\r\n ", "").splitlines())
    report = read(icaljs, out.read_bytes())
    assert_lines_legal(report, "--out")
    assert {e["uid"].split("@")[0]: (e["summary"], e["location"]) for e in report["events"]} == {
        key: (title, title[::-1]) for key, title in titles.items()}


def test_board_pack_note_shows_on_that_meeting_only(cfg_dir: Path, sqlite_url: str, icaljs: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from sqlalchemy import inspect, text

    cli(capsys, "--send")
    with session_scope(sqlite_url) as s:
        if "pack_snapshots" not in inspect(s.connection()).get_table_names():
            pytest.skip("the pack feature's table is not installed")
        s.execute(text(
            "INSERT INTO pack_snapshots (plan_key, as_of, cutoff, month, meeting_id, meeting_date, sha256, files, "
            "counts, created_at) VALUES ('jtai', :d, :c, '2023-02', 'board', :m, 'x', :f, '{}', :c)"),
            {"d": dt.date(2023, 2, 8), "c": dt.datetime(2023, 2, 8, 7), "m": dt.date(2023, 2, 15),
             "f": json.dumps({"pdf": "/data/packs/jtai-2023-02.pdf"})})
    assert [m["sequence"] for m in cli(capsys, "--send")["sent"]] == [1]
    method, data, _ = invitations(sqlite_url)[-1]
    board = series(read(icaljs, data), "board@example.org")
    noted = [o["start"]["local"] for o in board["occurrences"] if "jtai-2023-02.pdf" in (o["description"] or "")]
    assert method == "REQUEST" and noted == ["2023-02-15T14:00:00"]
    assert [o["start"]["local"] for o in board["occurrences"]] == expected_board_starts()


def test_example_partnership_calendar_reads_as_planwarden_schedules_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_url: str, clock: FixedClock, icaljs: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The shipped JTAI example (bi-monthly, last-Thursday and moved meetings, a learning week)."""
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(Path(__file__).parents[1] / "config/examples/jtai/planwarden.toml"))
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    out, feed = tmp_path / "full.ics", tmp_path / "feed.ics"
    cli(capsys, "--out", str(out), "--feed", str(feed))
    expected = planwarden_view(dt.date(2020, 1, 1), dt.date(2026, 1, 1))
    assert len(expected) > 30
    for data in (out.read_bytes(), feed.read_bytes()):
        report = read(icaljs, data)
        assert client_view(report) == expected
        assert_lines_legal(report, "example")
