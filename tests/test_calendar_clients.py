"""Every calendar file planwarden writes, uploaded to a real CalDAV server (Radicale on
loopback) and read back with the caldav client, as a subscriber's calendar would."""

from __future__ import annotations

import datetime as dt
import email
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email import policy
from pathlib import Path

import icalendar
import pytest
from sqlalchemy import select

from planwarden.cli import main
from planwarden.core.clock import FixedClock
from planwarden.core.db import session_scope
from planwarden.plan.models import OutboxMessage
from servers import free_port


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    storage = tmp_path / "radicale"
    proc = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}", "--auth-type", "none",
         "--rights-type", "owner_only", "--storage-filesystem-folder", str(storage),
         "--logging-level", "warning"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stdout.read().decode() if proc.stdout else "radicale exited")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _split(cal: icalendar.Calendar) -> list[bytes]:
    """One calendar object resource per UID (what CalDAV stores), METHOD removed (RFC 4791 4.1)."""
    by_uid: dict[str, list[icalendar.Component]] = {}
    for ev in cal.walk("VEVENT"):
        by_uid.setdefault(str(ev["UID"]), []).append(ev)
    out = []
    for events in by_uid.values():
        one = icalendar.Calendar()
        for key in ("PRODID", "VERSION", "CALSCALE"):
            one.add(key, cal[key])
        for tz in cal.walk("VTIMEZONE"):
            one.add_component(tz)
        for ev in events:
            one.add_component(ev)
        out.append(one.to_ical())
    return out


def test_radicale_accepts_every_file_and_reads_back_the_same_events(
        jtai_env: str, clock: FixedClock, tmp_path: Path, radicale: str, capsys: pytest.CaptureFixture[str]) -> None:
    import caldav

    out, feed = tmp_path / "governance-full.ics", tmp_path / "governance.ics"
    assert main(["calendar", "--out", str(out), "--feed", str(feed), "--send", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["sent"], "the example calendar has upcoming meetings on 14 Dec 2022"
    with session_scope(jtai_env) as s:
        invites = [r.raw for r in s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "invite"))]
    attached = []
    for raw in invites:
        msg = email.message_from_bytes(raw, policy=policy.default)
        attached.append(next(p for p in msg.walk() if p.get_content_type() == "text/calendar").get_content()
                        .encode())

    client = caldav.DAVClient(url=radicale, username="planwarden", password="any")
    principal = client.principal()  # Radicale creates the user's home collection on first access
    files = {"export": out.read_bytes(), "feed": feed.read_bytes()}
    files.update({f"invite-{i}": data for i, data in enumerate(attached)})
    for name, data in files.items():
        parsed = icalendar.Calendar.from_ical(data)
        collection = principal.make_calendar(name=name, cal_id=name)  # MKCALENDAR
        expected = {str(e["UID"]) for e in parsed.walk("VEVENT")}
        for resource in _split(parsed):
            collection.save_event(resource.decode())  # PUT: raises if the server refuses it
        stored = collection.events()
        assert {str(icalendar.Calendar.from_ical(e.data).walk("VEVENT")[0]["UID"]) for e in stored} == expected, name

    full = principal.calendar(cal_id="export")
    # the server expands the series itself: the Improvement Board on 15 March 2023, 14:00 GMT
    found = full.search(start=dt.datetime(2023, 3, 13), end=dt.datetime(2023, 3, 18), event=True, expand=True)
    starts = {(str(icalendar.Calendar.from_ical(e.data).walk("VEVENT")[0]["SUMMARY"]),
               icalendar.Calendar.from_ical(e.data).walk("VEVENT")[0]["DTSTART"].dt) for e in found}
    board = [s for t, s in starts if t == "JTAI Improvement Board"]
    assert board and board[0].astimezone(dt.timezone.utc) == dt.datetime(2023, 3, 15, 14, 0, tzinfo=dt.timezone.utc)
    conference = full.search(start=dt.datetime(2023, 1, 31), end=dt.datetime(2023, 2, 1), event=True)
    assert "LSCP Child Exploitation Conference" in {
        str(icalendar.Calendar.from_ical(e.data).walk("VEVENT")[0]["SUMMARY"]) for e in conference}
