"""The console in a real browser: Debian's Chromium driven by Playwright, on the JTAI example.

One console (uvicorn on loopback) and one browser serve the whole module: the JTAI seed
imported, one owner's reply applied (with a new date asked for), one stranger's reply
quarantined. Every page is checked with axe-core: no serious or critical violation.
Set PLANWARDEN_SCREENSHOTS=DIR to keep a screenshot of each main page (docs/images).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from servers import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "config" / "examples" / "jtai"
SEED = EXAMPLE / "plan" / "000_3a816ad8139d38e0.txt"
PASSWORD = "correct horse battery"
SECRETARY, MEMBER = "rachel@example.org", "board.member@example.org"
ADMIN, OTHER = "admin@example.org", "other.secretary@example.org"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
                                reason="Chromium is not installed (scripts/system-packages installs it; "
                                       "under CI=true these tests run and fail without it)")


def _reply(sender: str, subject: str, body: str, number: int) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "jtai-plan@example.org", subject
    msg["Message-ID"] = f"<console-test-{number}@example.org>"
    msg.set_content(body)
    return msg.as_bytes()


def _seed(config: Any) -> dict[str, Any]:
    """The JTAI plan, one applied reply asking for a new date, one quarantined reply."""
    from planwarden.core import clock
    from planwarden.core.db import session_factory, session_scope
    from planwarden.importing import import_file
    from planwarden.plan.models import Action
    from planwarden.replies.ingest import ingest_raw
    from planwarden.web.accounts import add_user

    previous = clock.set_clock(clock.FixedClock(dt.datetime(2022, 12, 14, 8, tzinfo=dt.timezone.utc)))
    try:
        with session_scope(config.database_url) as s:
            import_file(s, config, SEED, "jtai")
            add_user(s, SECRETARY, "Rachel Hughes", "secretary", PASSWORD, ["jtai"])
            add_user(s, MEMBER, "Board Member", "member", PASSWORD)
            add_user(s, ADMIN, "Ada Admin", "admin", PASSWORD)
            add_user(s, OTHER, "Another Partnership", "secretary", PASSWORD, ["elsewhere"])
            owned = next(a for a in s.scalars(select(Action).order_by(Action.position))
                         if a.owners and a.rag != "red" and a.due and a.ref != "1.1a")
            ref, owner, rag_before = owned.ref, owned.owners[0].person.email, owned.rag
        clock.get_clock().set(dt.datetime(2022, 12, 20, 10, tzinfo=dt.timezone.utc))  # type: ignore[attr-defined]
        sessions = session_factory(config.database_url)
        applied = ingest_raw(sessions, config, _reply(
            owner, f"RE: Action plan [planwarden jtai {ref}]",
            f"{ref} RAG: Red\n\nThe training is late.\n\nNew date: 28 February 2023", 1), "test")
        held = ingest_raw(sessions, config, _reply(
            "someone@elsewhere.example", "RE: Action plan [planwarden jtai 1.1a]",
            "1.1a Green - <script>alert('x')</script> all done!", 2), "test")
        assert (applied.outcome, held.outcome) == ("applied", "quarantined"), (applied, held)
    finally:
        clock.set_clock(previous)
    return {"ref": ref, "rag_before": rag_before}


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import uvicorn

    from planwarden.core import clock

    from planwarden.core import db
    from planwarden.core.config import load_config
    from planwarden.web.app import create_app
    from planwarden.web.server import ShiftedClock

    home = tmp_path_factory.mktemp("console")
    saved = {k: os.environ.get(k) for k in ("PLANWARDEN_CONFIG", "PLANWARDEN_HOME", "PLANWARDEN_DATABASE_URL")}
    os.environ.update(PLANWARDEN_CONFIG=str(EXAMPLE / "planwarden.toml"), PLANWARDEN_HOME=str(home / "data"))
    os.environ.pop("PLANWARDEN_DATABASE_URL", None)
    config = load_config()
    facts = _seed(config)
    previous = clock.set_clock(ShiftedClock(dt.date(2023, 1, 4)))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(config, secret="test-secret"), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "config": config, **facts}
    finally:
        server.should_exit = True
        thread.join(10)
        clock.set_clock(previous)
        db.forget(config.database_url)
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless=new"])
        yield b
        b.close()


def _login(browser: Any, console: dict[str, Any], email: str) -> Any:
    page = browser.new_context(base_url=console["url"], accept_downloads=True).new_page()
    page.set_default_timeout(10_000)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/$"))
    return page


def _accessible(page: Any, name: str) -> None:
    """axe-core finds no serious or critical violation; optionally keep a screenshot."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
           for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name}: {bad}"
    shots = os.environ.get("PLANWARDEN_SCREENSHOTS")
    if shots and name in ("dashboard", "plan", "action", "quarantine", "requests", "packs"):
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(shots) / f"console-{name}.png"), full_page=False)


def _done(page: Any) -> str:
    """What the page says was done (or fails with the problem it shows)."""
    page.wait_for_load_state()
    problem = page.locator(".govuk-error-summary")
    assert problem.count() == 0, problem.inner_text()
    banner = page.locator(".govuk-notification-banner")
    assert banner.count() == 1, page.inner_text("body")[:1000]
    return str(banner.inner_text())


def _api(page: Any, path: str) -> Any:
    response = page.request.get(path)
    assert response.ok, (path, response.status)
    return response.json()


def test_secretary_sees_the_dashboard_plan_and_history(browser: Any, console: dict[str, Any]) -> None:
    page = _login(browser, console, SECRETARY)
    assert page.get_by_role("heading", name=re.compile("Dashboard")).is_visible()
    ratings = page.get_by_role("table", name="Ratings by section")
    assert ratings.is_visible() and "All" in ratings.inner_text()
    board = _api(page, "/api/dashboard")[0]
    assert board["plan"] == "jtai" and board["total"] == 77 and board["requests"] == 1 and board["quarantined"] == 1
    assert str(board["total"]) in page.inner_text("main")
    _accessible(page, "dashboard")

    page.get_by_role("link", name=re.compile("Joint targeted area inspection|JTAI|jtai", re.I)).first.click()
    page.wait_for_url(re.compile(r"/plans/jtai"))
    page.get_by_label("Rating").select_option("red")
    page.wait_for_url(re.compile(r"rag=red"))
    shown = page.locator("#rows tbody tr")
    assert shown.count() == sum(1 for a in _api(page, "/api/plans/jtai/actions") if a["rag"] == "red") >= 1
    _accessible(page, "plan")

    page.goto(f"/plans/jtai/actions/{console['ref']}")
    timeline = page.locator("#timeline")
    assert "The training is late." in timeline.inner_text()
    assert page.get_by_role("link", name="the original email").count() == 1
    assert "Created" in timeline.inner_text()
    _accessible(page, "action")
    page.get_by_role("link", name="the original email").click()
    assert "New date: 28 February 2023" in page.locator("pre").inner_text()
    _accessible(page, "message")


def test_secretary_places_a_quarantined_reply_shown_as_text(browser: Any, console: dict[str, Any]) -> None:
    page = _login(browser, console, SECRETARY)
    page.goto("/quarantine")
    held = page.locator("pre.pw-original").first
    assert "<script>alert('x')</script>" in held.inner_text()  # the text itself, never run
    assert page.dialogs == [] and page.locator("main script").count() == 0
    _accessible(page, "quarantine")
    before = _api(page, "/api/plans/jtai/actions/1.1a/history")
    page.get_by_label("Action ref(s)").fill("1.1a")
    page.get_by_label("Rating to record").select_option("amber")
    page.get_by_role("button", name=re.compile("Apply reply")).click()
    assert "applied to jtai 1.1a" in _done(page)
    after = _api(page, "/api/plans/jtai/actions/1.1a/history")
    assert len(after["updates"]) == len(before["updates"]) + 1 and after["rag"] == "amber"
    assert after["updates"][-1]["author"].startswith("someone@elsewhere.example") or after["updates"][-1]["author"]
    assert _api(page, "/api/quarantine") == []


def test_secretary_approves_a_date_and_withdraws_an_update(browser: Any, console: dict[str, Any]) -> None:
    page = _login(browser, console, SECRETARY)
    ref = console["ref"]
    page.goto("/requests")
    _accessible(page, "requests")
    page.get_by_role("button", name=re.compile(f"Approve .* for {re.escape(ref)}")).click()
    assert "approved" in _done(page)
    h = _api(page, f"/api/plans/jtai/actions/{ref}/history")
    assert h["due"] == "2023-02-28" and h["rag"] == "red"
    assert any(c["field"] == "date-request" and c["actor"].startswith("Rachel Hughes") for c in h["changes"])

    emailed = next(u for u in h["updates"] if u["source"] == "email")
    page.goto(f"/plans/jtai/actions/{ref}")
    page.get_by_text(f"Withdraw update {emailed['id']}").first.click()
    page.locator(f"#reason-{emailed['id']}").fill("Applied to the wrong action")
    page.get_by_role("button", name=f"Withdraw update {emailed['id']}").click()
    assert "withdrawn" in _done(page)
    h = _api(page, f"/api/plans/jtai/actions/{ref}/history")
    assert h["rag"] == console["rag_before"]  # the rating is back to what it was
    assert next(u for u in h["updates"] if u["id"] == emailed["id"])["withdrawn"]["reason"] == "Applied to the wrong action"
    assert "withdrawn" in page.locator("#timeline").inner_text()
    listed = next(a for a in _api(page, "/api/plans/jtai/actions") if a["ref"] == ref)
    assert all(u["text"] != emailed["text"] for u in listed["updates"])


def test_secretary_builds_and_downloads_a_pack(browser: Any, console: dict[str, Any]) -> None:
    page = _login(browser, console, SECRETARY)
    page.goto("/packs")
    page.get_by_label("Month (YYYY-MM)").fill("2022-12")
    page.get_by_role("button", name="Build the pack").click(timeout=180_000)  # WeasyPrint takes seconds
    assert "built" in _done(page)
    _accessible(page, "packs")
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile(r"^PDF")).first.click()
    download = info.value
    assert download.suggested_filename.endswith(".pdf") and Path(download.path()).read_bytes()[:5] == b"%PDF-"
    pack = _api(page, "/api/packs")[0]
    response = page.request.get(f"/packs/{pack['id']}.docx")
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert page.request.get(f"/packs/{pack['id']}.pdf").headers["content-type"] == "application/pdf"


def test_other_pages_pass_axe(browser: Any, console: dict[str, Any]) -> None:
    page = _login(browser, console, SECRETARY)
    for path, name in (("/people", "people"), ("/outbox", "outbox"), ("/calendar", "calendar")):
        page.goto(path)
        assert page.locator("h1").is_visible()
        _accessible(page, name)
    page.context.clear_cookies()
    page.goto("/login")
    _accessible(page, "login")


def test_secretary_sends_a_stored_pack_once(browser: Any, console: dict[str, Any]) -> None:
    """Runs after the pack was built (not sent): Send queues the stored files, once."""
    page = _login(browser, console, SECRETARY)
    page.goto("/packs")
    pack = _api(page, "/api/packs")[0]
    assert pack["sent_at"] is None
    page.get_by_role("button", name=re.compile(r"^Send")).first.click()
    assert "sent to" in _done(page)
    assert _api(page, "/api/packs")[0]["sent_at"] is not None
    assert page.get_by_role("button", name=re.compile(r"^Send")).count() == 0
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    page.request.post(f"/packs/{pack['id']}/send", form={"csrf_token": token})  # twice: nothing more
    sent = [m for m in _api(page, "/api/outbox")["mail"] if m["kind"] == "pack"]
    assert len(sent) == 1 and sent[0]["to"][0] == "rachel.hughes@example.org"


def test_secretary_maps_an_unresolved_owner_text(browser: Any, console: dict[str, Any]) -> None:
    page = _login(browser, console, SECRETARY)
    page.goto("/plans/jtai/actions/1.1a")
    page.get_by_label("Owner (as the plan names them)").fill("Head of Early Help")
    page.get_by_label("Why (kept in the history)").fill("New lead officer")
    page.get_by_role("button", name="Save the correction").click()
    assert "owner_text" in _done(page) and _api(page, "/api/plans/jtai/actions/1.1a/history")["owners"] == []
    page.goto("/people")
    _accessible(page, "people")
    page.get_by_label(re.compile("Head of Early Help")).select_option(label="Karen Doyle")
    page.get_by_role("button", name=re.compile("Map .Head of Early Help")).click()
    assert "now means karen.doyle" in _done(page)
    h = _api(page, "/api/plans/jtai/actions/1.1a/history")
    assert [o["name"] for o in h["owners"]] == ["Karen Doyle"]
    assert any(c["field"] == "owners" and c["actor"].startswith("Rachel Hughes") for c in h["changes"])
    assert all(u["owner_text"] != "Head of Early Help" for u in _api(page, "/api/people")["unresolved"])


def test_brag_plan_shows_blue_and_an_actions_own_columns(browser: Any, console: dict[str, Any]) -> None:
    """The JTAI plan turned BRAG: Blue (complete) in words and colour on every view; extra columns shown."""
    from planwarden.core.db import session_scope
    from planwarden.plan.models import Action, Plan

    with session_scope(console["config"].database_url) as s:
        s.execute(Plan.__table__.update().values(rating_scale="brag"))
        s.execute(Action.__table__.update().where(Action.ref == "1.1b")
                  .values(extra={"Ofsted para": "27", "What does success look like?": "Audits <b>show</b> it"}))
    try:
        page = _login(browser, console, SECRETARY)
        page.goto("/plans/jtai/actions/1.1b")
        extra = page.locator("#extra")
        assert "Ofsted para" in extra.inner_text() and "Audits <b>show</b> it" in extra.inner_text()
        page.get_by_label("Rating").select_option("blue")
        page.get_by_label("Why (kept in the history)").fill("Signed off by the board")
        page.get_by_role("button", name="Save the correction").click()
        _done(page)
        badge = page.locator("h1 .pw-rag")
        assert badge.inner_text() == "Blue" and "pw-rag--blue" in (badge.get_attribute("class") or "")
        assert page.locator("h1 .pw-rag").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(29, 112, 184)"
        _accessible(page, "action-brag")
        board = _api(page, "/api/dashboard")[0]
        assert board["scale"] == "brag" and board["rag"]["blue"] >= 1
        page.goto("/")
        header = page.get_by_role("table", name=re.compile("Ratings by section")).locator("thead").inner_text()
        assert "Blue (complete)" in header and "Green (on track)" in header
        _accessible(page, "dashboard-brag")
        page.goto("/plans/jtai?rag=blue")
        rows = page.locator("#rows tbody tr")
        assert rows.count() == board["rag"]["blue"] and "1.1b" in rows.first.inner_text()
        assert "Blue" in rows.first.inner_text()
        _accessible(page, "plan-brag")
    finally:
        with session_scope(console["config"].database_url) as s:
            s.execute(Plan.__table__.update().values(rating_scale="rag"))


def test_admin_adds_and_disables_a_user(browser: Any, console: dict[str, Any]) -> None:
    page = _login(browser, console, ADMIN)
    page.goto("/users")
    _accessible(page, "users")
    page.get_by_label("Email address").fill("new.member@example.org")
    page.get_by_label("Name", exact=True).fill("New Member")
    page.get_by_label("Role").select_option("member")
    page.get_by_label("jtai", exact=True).check()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Add the user").click()
    assert "new.member@example.org added as member" in _done(page)
    added = next(u for u in _api(page, "/api/users") if u["email"] == "new.member@example.org")
    assert added["plans"] == ["jtai"] and not added["disabled"]
    with contextlib.closing(_http(console, "new.member@example.org")):
        pass  # the new account logs in
    page.get_by_role("button", name="Disable new.member@example.org").click()
    assert "can no longer log in" in _done(page)
    assert next(u for u in _api(page, "/api/users") if u["email"] == "new.member@example.org")["disabled"]
    with httpx.Client(base_url=console["url"]) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
        assert client.post("/login", data={"email": "new.member@example.org", "password": PASSWORD,
                                           "csrf_token": token}).status_code == 401
    with contextlib.closing(_http(console, SECRETARY)) as client:
        assert client.get("/users").status_code == 403 and client.get("/api/users").status_code == 403


WRITES = ["/quarantine/1/apply", "/quarantine/1/discard", "/requests/1/approve", "/requests/1/reject",
          "/updates/1/withdraw", "/plans/jtai/actions/1.1a/edit", "/packs/build", "/outbox/1/retry",
          "/people/map", "/packs/1/send", "/users", "/users/1/disable"]


def test_a_member_is_refused_every_write(browser: Any, console: dict[str, Any]) -> None:
    page = _login(browser, console, MEMBER)
    page.goto("/plans/jtai/actions/1.1a")
    assert page.get_by_role("button", name="Save the correction").count() == 0
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    before = _api(page, "/api/plans/jtai/actions/1.1a/history")
    for path in WRITES:
        response = page.request.post(path, form={"csrf_token": token, "reason": "x", "refs": "1.1a", "rag": "red",
                                                 "plan": "jtai", "month": "2022-12", "text": "changed"},
                                     max_redirects=0)
        assert response.status in (403, 404), (path, response.status)
        assert response.status == 403 or path.startswith(("/quarantine", "/requests", "/outbox")), path
    assert _api(page, "/api/plans/jtai/actions/1.1a/history") == before
    assert page.request.get("/audit").status == 403


def test_a_form_without_its_csrf_token_is_refused(browser: Any, console: dict[str, Any]) -> None:
    page = _login(browser, console, SECRETARY)
    before = _api(page, "/api/plans/jtai/actions/1.1a/history")
    response = page.request.post("/plans/jtai/actions/1.1a/edit", form={"text": "Forged", "reason": "csrf"},
                                 max_redirects=0)
    assert response.status == 403
    wrong = page.request.post("/plans/jtai/actions/1.1a/edit",
                              form={"text": "Forged", "reason": "csrf", "csrf_token": "not-the-token"},
                              max_redirects=0)
    assert wrong.status == 403
    assert _api(page, "/api/plans/jtai/actions/1.1a/history") == before


def test_login_is_rate_limited_and_headers_are_secure(console: dict[str, Any]) -> None:
    with httpx.Client(base_url=console["url"]) as client:
        page = client.get("/login")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
        cookie = page.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        codes = [client.post("/login", data={"email": "nobody@example.org", "password": "wrong password!",
                                             "csrf_token": token}).status_code for _ in range(6)]
        assert codes[:5] == [401] * 5 and codes[5] == 429
        assert client.get("/api/dashboard").status_code == 401


def _http(console: dict[str, Any], email: str) -> httpx.Client:
    client = httpx.Client(base_url=console["url"])
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)  # type: ignore[union-attr]
    assert client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token}).status_code == 303
    return client


def test_a_secretary_sees_only_the_plans_given_to_them(console: dict[str, Any]) -> None:
    with contextlib.closing(_http(console, OTHER)) as client:
        assert client.get("/api/dashboard").json() == [] and client.get("/api/packs").json() == []
        assert client.get("/api/quarantine").json() == [] and client.get("/api/requests").json() == []
        assert client.get("/plans/jtai").status_code == 403
        assert client.get("/api/plans/jtai/actions").status_code == 403
        token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text).group(1)  # type: ignore[union-attr]
        edit = client.post("/plans/jtai/actions/1.1a/edit", data={"csrf_token": token, "text": "x", "reason": "x"})
        assert edit.status_code == 403


def test_the_admin_reads_every_write_in_the_audit_log(console: dict[str, Any]) -> None:
    """Runs after the flows above (same console): each of their writes is in the log."""
    with contextlib.closing(_http(console, ADMIN)) as client:
        entries = client.get("/api/audit").json()
        assert "Audit log" in client.get("/audit").text
    done = {(e["action"], e["actor"].split(" <")[0]) for e in entries}
    for action in ("quarantine-apply", "request-approve", "withdraw-update", "pack-build", "pack-send", "map-owner"):
        assert (action, "Rachel Hughes") in done, (action, done)
    assert ("user-add", "Ada Admin") in done and ("user-disable", "Ada Admin") in done
    assert ("login", "Board Member") in done
    assert not any(e["actor"].startswith("Board Member") and e["action"] != "login" for e in entries)
