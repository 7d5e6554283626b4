"""`planwarden demo` leaves the whole loop in its folder: reminders, confirmations,
the pack and the invites."""

from __future__ import annotations

import email
import email.utils
from email import policy
from pathlib import Path

import pytest
from icalendar import Calendar

from planwarden.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "planwarden" / "examples" / "jtai"


def _mails(folder: Path) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
            for p in sorted(folder.glob("*.eml"))]


@pytest.mark.slow
def test_demo_runs_the_whole_loop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "demo"
    assert main(["demo", "--dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "[6/6]" in out and "36 green, 41 amber" in out
    mails = _mails(folder / "data" / "outbox")
    subjects = [str(m["Subject"]) for m in mails]
    assert any("Reminder" in s or "overdue" in s for s in subjects)
    assert sum("Recorded: update" in s for s in subjects) == 2  # one confirmation per applied reply
    assert any(m.get_content_type() == "multipart/mixed" and "pack" in str(m["Subject"]).lower() for m in mails)
    invites = [m for m in mails if any(p.get_content_type() == "text/calendar" for p in m.walk())]
    assert invites
    assert (folder / "pack" / "jtai-board-pack-2022-12-31.pdf").read_bytes().startswith(b"%PDF")
    cal = Calendar.from_ical((folder / "governance.ics").read_bytes())
    assert any("conference" in str(e.get("SUMMARY")).lower() for e in cal.walk("VEVENT"))
    assert len(list((folder / "data" / "inbox" / "quarantine").glob("*.eml"))) == 1  # the stranger, kept whole
    _assert_nobody_is_chased_after_reporting_done(mails)
    env = f"export PLANWARDEN_CONFIG={EXAMPLE / 'planwarden.toml'} PLANWARDEN_HOME={folder / 'data'}"
    assert env in out and "planwarden actions --plan jtai" in out  # the way in, at the end
    _console_serves_the_demo(folder)


def _assert_nobody_is_chased_after_reporting_done(mails: list[email.message.EmailMessage]) -> None:
    """Days replay in order (replies read before reminders): an action an owner reported
    green is in no later reminder, and every confirmation answers a reminder sent before it."""
    when = {id(m): email.utils.parsedate_to_datetime(str(m["Date"])) for m in mails}
    done = [(when[id(m)], str(m["Subject"]).split("Recorded: update to ")[1].split()[0])
            for m in mails if "Recorded: update" in str(m["Subject"])]
    reminders = [m for m in mails if "Recorded" not in str(m["Subject"]) and "[planwarden jtai" in str(m["Subject"])]
    for day, ref in done:
        assert any(ref in str(m["Subject"]) and when[id(m)] < day for m in reminders)  # replied to a real reminder
    green = next(ref for day, ref in done if "RAG: GREEN" in _body(mails, ref))
    green_day = next(day for day, ref in done if ref == green)
    assert not [str(m["Subject"]) for m in reminders if when[id(m)] > green_day and green in str(m["Subject"])]


def _body(mails: list[email.message.EmailMessage], ref: str) -> str:
    return " ".join(str(m.get_body(("plain",)).get_content()) for m in mails  # type: ignore[union-attr]
                    if f"Recorded: update to {ref}" in str(m["Subject"]))


def _console_serves_the_demo(folder: Path) -> None:
    """`planwarden web --demo DIR` (what `make console` runs): log in with what it prints."""
    import os
    import re
    import subprocess
    import sys
    import time

    import httpx

    from servers import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANWARDEN_")}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "planwarden"), "web", "--demo", str(folder),
                             "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        printed = "".join(proc.stdout.readline() for _ in range(3))  # type: ignore[union-attr]
        email_, password = (re.search(rf"{k}: (\S+)", printed).group(1) for k in ("email", "password"))  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                login = httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        with httpx.Client(base_url=base, cookies=login.cookies) as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)  # type: ignore[union-attr]
            client.post("/login", data={"email": email_, "password": password, "csrf_token": token})
            (board,) = client.get("/api/dashboard").json()
        assert (board["plan"], board["total"], board["quarantined"], board["today"]) == ("jtai", 77, 1, "2023-01-04")
    finally:
        proc.terminate()
        proc.wait(20)


def test_demo_refuses_to_wipe_a_folder_it_did_not_make(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    assert main(["demo", "--dir", str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err and (tmp_path / "precious.txt").exists()
