"""The secretary's jobs end to end in Chromium, as an outside checker walks them.

Reuses test_console_browser's console (the JTAI seed: one applied reply asking for a new
date, one quarantined reply) and browser, and adds what those tests leave out: hostile
mail in the quarantine, a second date request, keyboard use, the skip link, the GOV.UK
error pattern, a double submit, the back button after a POST, session expiry, a stale
CSRF token, a member's 403 page and the error pages. Every page and state reached is
checked with axe-core against WCAG 2.0-2.2 A/AA (all impacts, target size included), at
320 CSS px for reflow, with one h1 and a title of its own.
"""

from __future__ import annotations

import collections
import contextlib
import re
import time
from typing import Any
from urllib.parse import urlencode, urlparse

import pytest
from sqlalchemy import select

from test_console_browser import (ADMIN, CHROMIUM, MEMBER, PASSWORD, SECRETARY, _api, _done, _http, _login, _reply,
                                  browser, console)

__all__ = ["browser", "console"]  # the fixtures, imported for this module's own console

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists()
                                and __import__("os").environ.get("CI") != "true",
                                reason="Chromium is not installed (scripts/system-packages installs it)")

WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
HOSTILE_NAME = "<script>alert('name')</script><img src=x onerror=alert('img')> مرحبا بالعالم"
LONG = "x" * 400
HOSTILE_BODY = (f"1.2a Amber <script>alert('body')</script> <img src=x onerror=alert('body-img')>\n"
                f"{LONG}\nשלום עולם, זה טקסט מימין לשמאל\nhttps://example.org/{'a' * 300}")
TITLES: dict[str, str] = {}


def _hostile(config: Any) -> None:
    from email.message import EmailMessage

    from planwarden.core.db import session_factory
    from planwarden.replies.ingest import ingest_raw

    msg = EmailMessage()
    msg["From"] = f'"{HOSTILE_NAME}" <attacker@elsewhere.example>'
    msg["To"], msg["Subject"] = "jtai-plan@example.org", f"RE: [planwarden jtai 1.2a] {HOSTILE_NAME} {LONG}"
    msg["Message-ID"] = "<console-flows-hostile@example.org>"
    msg.set_content(HOSTILE_BODY)
    held = ingest_raw(session_factory(config.database_url), config, msg.as_bytes(), "test")
    assert held.outcome == "quarantined", held


@pytest.fixture(scope="module")
def flows(console: dict[str, Any]) -> dict[str, Any]:
    """The seed plus: a hostile held reply, two plain held replies, a second date request."""
    from planwarden.core.db import session_factory, session_scope
    from planwarden.plan.models import Action
    from planwarden.replies.ingest import ingest_raw
    from planwarden.web.models import User

    config = console["config"]
    with session_scope(config.database_url) as s:
        other = next(a for a in s.scalars(select(Action).order_by(Action.position))
                     if a.owners and a.ref not in (console["ref"], "1.1a", "1.2a"))
        ref2, owner2 = other.ref, other.owners[0].person.email
        uid = s.scalar(select(User.id).where(User.email == SECRETARY))
    sessions = session_factory(config.database_url)
    asked = ingest_raw(sessions, config, _reply(owner2, f"RE: Action plan [planwarden jtai {ref2}]",
                                                f"{ref2} RAG: Amber\n\nWaiting on funding.\n\nNew date: 31 March 2023",
                                                101), "test")
    for n in (102, 103):
        held = ingest_raw(sessions, config, _reply("stranger@elsewhere.example", "RE: Action plan [planwarden jtai 1.3a]",
                                                  f"Message {n}", n), "test")
        assert held.outcome == "quarantined"
    _hostile(config)
    assert asked.outcome == "applied", asked
    return {**console, "ref2": ref2, "uid": uid}


def _hostile_id(page: Any) -> int:
    return int(next(r["id"] for r in _api(page, "/api/quarantine") if "<script>" in r["subject"]))


def _axe(page: Any, name: str) -> None:
    """No WCAG 2.x A/AA violation at all (any impact), and the page's own structure."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    bad = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
           for v in results.response["violations"]]
    assert not bad, f"{name}: {bad}"
    assert page.locator("h1").count() == 1, f"{name}: {page.locator('h1').count()} h1"
    title = page.title()
    assert title.endswith(" – planwarden") and len(title) > len(" – planwarden"), title
    path = urlparse(page.url).path.removesuffix("/edit")  # a refused correction is its action's page again
    TITLES.setdefault(title, path)
    assert TITLES[title] == path, f"{name} ({path}) has the title of {TITLES[title]}: {title}"


def _reflows(page: Any, name: str) -> None:
    """At 320 CSS px nothing makes the page itself scroll sideways (WCAG 1.4.10)."""
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})
    try:
        over = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert over <= 0, f"{name}: the page is {over}px wider than 320px"
    finally:
        page.set_viewport_size(size)


def _checked(page: Any, name: str) -> None:
    _axe(page, name)
    _reflows(page, name)


def _error_pattern(page: Any, field_id: str, words: str) -> None:
    """GOV.UK: summary first, linked to the field, which shows the message; focus on the summary."""
    page.wait_for_load_state()
    assert page.title().startswith("Error: "), page.title()
    summary = page.locator(".govuk-error-summary")
    assert summary.count() == 1 and words in summary.inner_text()
    page.wait_for_function("() => document.activeElement.classList.contains('govuk-error-summary')")
    link = summary.locator(f'a[href="#{field_id}"]')
    assert link.count() == 1, summary.inner_html()
    message = page.locator(f"#{field_id}-error")
    assert message.is_visible() and words in message.inner_text()
    assert f"{field_id}-error" in (page.locator(f"#{field_id}").get_attribute("aria-describedby") or "")
    link.click()
    assert page.evaluate("() => document.activeElement.id") == field_id


FOCUS_STYLE = """() => { const e = document.activeElement;
    const label = e.matches('.govuk-checkboxes__input, .govuk-radios__input') ? e.labels[0] : null;
    const s = label ? getComputedStyle(label, '::before') : getComputedStyle(e);
    return [e.outerHTML.slice(0, 80), s.outlineStyle, s.outlineWidth, s.outlineColor, s.backgroundColor, s.boxShadow]; }"""


def _focus_visible(page: Any) -> None:
    """The focused element shows it in GOV.UK's yellow (#ffdd00): its outline, background or
    shadow (a checkbox: its label's box), never only the browser's default ring."""
    shown = page.evaluate(FOCUS_STYLE)
    yellow = "255, 221, 0"
    visible_outline = shown[1] not in ("none", "auto") and shown[2] != "0px" and yellow in shown[3]
    assert visible_outline or yellow in shown[4] or yellow in shown[5], shown


def test_keyboard_login_skip_link_and_focus(browser: Any, flows: dict[str, Any]) -> None:
    page = browser.new_context(base_url=flows["url"]).new_page()
    page.goto("/login")
    _checked(page, "login")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Skip to main content"
    _focus_visible(page)
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main-content"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "email"
    _focus_visible(page)
    page.keyboard.type(SECRETARY)
    page.keyboard.press("Tab")
    page.keyboard.type("wrong password!")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _error_pattern(page, "password", "not right")
    assert page.get_by_label("Email address").input_value() == SECRETARY  # kept: only the password again
    _axe(page, "login-error")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    page.wait_for_url(re.compile(r"/$"))
    _checked(page, "dashboard")


def test_every_focus_is_visible_in_tab_order(browser: Any, flows: dict[str, Any]) -> None:
    """Tab through the top of each kind of page: the header, the navigation, forms, tables, links."""
    page = _login(browser, flows, SECRETARY)
    for path in ("/", "/plans/jtai", "/quarantine", f"/plans/jtai/actions/{flows['ref']}"):
        page.goto(path)
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement === document.body"):
                break
            _focus_visible(page)


def test_every_page_reflows_with_one_h1_and_its_own_title(browser: Any, flows: dict[str, Any]) -> None:
    page = _login(browser, flows, SECRETARY)
    hostile = _hostile_id(page)
    for path, name in (("/plans/jtai", "plan"), (f"/plans/jtai/actions/{flows['ref']}", "action"),
                       (f"/messages/{hostile}", "message"), ("/requests", "requests"), ("/packs", "packs"),
                       ("/people", "people"), ("/outbox", "outbox"), ("/calendar", "calendar")):
        page.goto(path)
        _checked(page, name)


def test_hostile_mail_in_the_quarantine_is_text_and_fits(browser: Any, flows: dict[str, Any]) -> None:
    page = _login(browser, flows, SECRETARY)
    page.goto("/quarantine")
    main = page.locator("main")
    assert "<script>alert('body')</script>" in main.inner_text() and "<script>alert('name')</script>" in main.inner_text()
    assert "onerror=alert('body-img')" in main.inner_text()
    assert "זה טקסט מימין לשמאל" in main.inner_text() and LONG in main.inner_text()
    assert page.locator("main script, main img").count() == 0 and page.dialogs == []
    # right-to-left words from mail are isolated: they cannot reorder the console's own sentence
    assert page.locator("main bdi", has_text="مرحبا بالعالم").count() == 1
    rtl = page.locator("pre.pw-original", has_text="שלום עולם")
    assert rtl.evaluate("e => getComputedStyle(e).unicodeBidi") == "plaintext"
    _checked(page, "quarantine")
    hostile = _hostile_id(page)
    page.goto(f"/messages/{hostile}")
    assert page.locator("main img").count() == 0 and page.dialogs == []


def test_find_an_action_by_keyboard_and_read_its_history(browser: Any, flows: dict[str, Any]) -> None:
    page = _login(browser, flows, SECRETARY)
    page.goto("/plans/jtai")
    owner = _api(page, f"/api/plans/jtai/actions/{flows['ref']}/history")["owners"][0]["name"]
    page.get_by_label("Owner").fill(owner)
    with page.expect_response(re.compile(r"owner=")):
        page.get_by_label("Owner").press("Enter")  # htmx replaces the table in place
    page.wait_for_function("() => document.getElementById('rows-status').textContent.includes('in the plan')")
    rows = page.locator("#rows tbody tr")
    assert 1 <= rows.count() < 77 and all(owner in t for t in rows.all_inner_texts())
    link = page.locator("#rows").get_by_role("link", name=flows["ref"], exact=True)
    link.focus()
    _focus_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(f"/actions/{flows['ref']}")))
    assert "The training is late." in page.locator("#timeline").inner_text()


def test_filtering_the_plan_announces_the_count(browser: Any, flows: dict[str, Any]) -> None:
    """htmx replaces the table: the count is said by the page's lasting live region, and the back
    button returns to the filter before."""
    page = _login(browser, flows, SECRETARY)
    page.goto("/plans/jtai")
    status = page.locator("#rows-status")
    status.evaluate("e => e.dataset.first = 'yes'")  # the same live region must say the new count
    counts = collections.Counter(a["rag"] for a in _api(page, "/api/plans/jtai/actions"))
    for rag in ("amber", "green"):
        with page.expect_response(re.compile(f"rag={rag}")):
            page.get_by_label("Rating").select_option(rag)
        page.wait_for_function("n => document.getElementById('rows-status').textContent.includes(' of ' + n + ' ')",
                               arg=counts[rag])
    assert status.get_attribute("role") == "status" and status.get_attribute("data-first") == "yes"
    page.go_back()
    page.wait_for_function("n => document.querySelectorAll('#rows tbody tr').length === n", arg=counts["amber"])
    assert "rag=amber" in page.url and page.locator("h1").count() == 1
    _checked(page, "plan-filtered")


def test_apply_a_held_reply_with_a_rating_even_when_pressed_twice(browser: Any, flows: dict[str, Any]) -> None:
    page = _login(browser, flows, SECRETARY)
    page.goto("/quarantine")
    seeded = next(r["id"] for r in _api(page, "/api/quarantine") if "1.1a" in r["refs"])
    before = _api(page, "/api/plans/jtai/actions/1.1a/history")
    page.locator(f"#refs-{seeded}").fill("1.1a")
    page.locator(f"#rag-{seeded}").select_option("amber")
    with page.expect_navigation():
        page.get_by_role("button", name=f"Apply reply {seeded}").dblclick()
    assert f"Reply {seeded}: applied to jtai 1.1a" in _done(page)
    after = _api(page, "/api/plans/jtai/actions/1.1a/history")
    assert len(after["updates"]) == len(before["updates"]) + 1 and after["rag"] == "amber"
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    again = page.request.post(f"/quarantine/{seeded}/apply", form={"csrf_token": token, "refs": "1.1a",
                                                                   "rag": "red"})
    assert again.ok and "already" in again.text() and "Page not found" not in again.text()
    assert _api(page, "/api/plans/jtai/actions/1.1a/history") == after


def test_applying_to_an_unknown_ref_keeps_what_was_typed(browser: Any, flows: dict[str, Any]) -> None:
    page = _login(browser, flows, SECRETARY)
    page.goto("/quarantine")
    hostile = _hostile_id(page)
    page.locator(f"#refs-{hostile}").fill("9.9z")
    page.locator(f"#rag-{hostile}").select_option("green")
    page.get_by_role("button", name=f"Apply reply {hostile}").click()
    _error_pattern(page, f"refs-{hostile}", "No action 9.9z")
    assert page.locator(f"#refs-{hostile}").input_value() == "9.9z"  # what was typed, not the refs seen
    assert page.locator(f"#rag-{hostile}").input_value() == "green"
    assert any(r["id"] == hostile for r in _api(page, "/api/quarantine"))


def test_two_presses_at_the_same_moment_do_one_thing_and_both_say_so(browser: Any, flows: dict[str, Any]) -> None:
    """A double click without JavaScript: both requests arrive together; one discards, and
    the other's page says it had been done (never "page not found", never a second discard)."""
    import threading

    import httpx

    page = _login(browser, flows, SECRETARY)
    page.goto("/quarantine")
    held = next(r["id"] for r in _api(page, "/api/quarantine") if "Message 103" in r["text"])
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    answers: list[httpx.Response] = []
    start = threading.Barrier(2)

    def press() -> None:
        with httpx.Client(base_url=flows["url"], cookies=cookies) as client:
            start.wait()
            answers.append(client.post(f"/quarantine/{held}/discard",
                                       data={"csrf_token": token, "reason": "Pressed twice"}))

    threads = [threading.Thread(target=press) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [a.status_code for a in answers] == [303, 303]
    for answer in answers:
        page.goto(answer.headers["location"])
        said = page.locator("main").inner_text()
        assert "Page not found" not in said and re.search(r"discarded|already (been dealt with|decided)", said), said
    assert all(r["id"] != held for r in _api(page, "/api/quarantine"))
    with contextlib.closing(_http(flows, ADMIN)) as admin:
        discards = [e for e in admin.get("/api/audit").json()
                    if e["action"] == "quarantine-discard" and e["target"] == str(held)]
    assert len(discards) == 1, discards


def test_discard_needs_a_reason_then_keeps_the_original(browser: Any, flows: dict[str, Any]) -> None:
    page = _login(browser, flows, SECRETARY)
    page.goto("/quarantine")
    plain = next(r["id"] for r in _api(page, "/api/quarantine") if "Message 102" in r["text"])
    page.get_by_role("button", name=f"Discard reply {plain}").click()
    _error_pattern(page, f"discard-{plain}", "reason")
    _checked(page, "quarantine-error")
    assert any(r["id"] == plain for r in _api(page, "/api/quarantine"))
    page.locator(f"#discard-{plain}").fill("Not about the plan")
    page.locator(f"#discard-{plain}").press("Enter")
    assert "discarded" in _done(page)
    assert all(r["id"] != plain for r in _api(page, "/api/quarantine"))
    page.goto(f"/messages/{plain}")
    assert "Message 102" in page.locator("pre").inner_text()


def test_reject_needs_a_reason_approve_and_the_back_button(browser: Any, flows: dict[str, Any]) -> None:
    page = _login(browser, flows, SECRETARY)
    page.goto("/requests")
    waiting = {r["ref"]: r["id"] for r in _api(page, "/api/requests")}
    rejected, approved = waiting[flows["ref2"]], waiting[flows["ref"]]
    page.get_by_role("button", name=f"Reject the request for {flows['ref2']}").click()
    _error_pattern(page, f"reject-{rejected}", "reason")
    _checked(page, "requests-error")
    page.locator(f"#reject-{rejected}").fill("The board asked for February")
    page.get_by_role("button", name=f"Reject the request for {flows['ref2']}").click()
    assert "rejected" in _done(page)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile(f"Approve .* for {re.escape(flows['ref'])}")).dblclick()
    assert "approved" in _done(page)
    history = _api(page, f"/api/plans/jtai/actions/{flows['ref']}/history")
    assert history["due"] == "2023-02-28"
    page.go_back()  # to the requests page as it is now: nothing posted again
    page.wait_for_load_state()
    assert urlparse(page.url).path == "/requests" and page.get_by_role("button", name=re.compile("^Approve")).count() == 0
    assert "No requested new dates" in page.locator("main").inner_text()
    _checked(page, "requests-empty")
    assert _api(page, f"/api/plans/jtai/actions/{flows['ref']}/history") == history
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    again = page.request.post(f"/requests/{approved}/approve", form={"csrf_token": token})
    assert again.ok and "already" in again.text()


def test_a_bad_month_for_a_pack_follows_the_error_pattern(browser: Any, flows: dict[str, Any]) -> None:
    page = _login(browser, flows, SECRETARY)
    page.goto("/packs")
    page.get_by_label("Month (YYYY-MM)").fill("December")
    page.get_by_role("button", name="Build the pack").click()
    _error_pattern(page, "pack-month", "2022-12")
    assert page.get_by_label("Month (YYYY-MM)").input_value() == "December"
    assert "--month" not in page.locator(".govuk-error-summary").inner_text()
    _checked(page, "packs-error")
    assert _api(page, "/api/packs") == []


def test_a_correction_without_a_reason_is_refused_clearly(browser: Any, flows: dict[str, Any]) -> None:
    page = _login(browser, flows, SECRETARY)
    page.goto("/plans/jtai/actions/1.1b")
    before = _api(page, "/api/plans/jtai/actions/1.1b/history")
    page.get_by_label("Action", exact=True).fill("Changed without a reason")
    page.get_by_role("button", name="Save the correction").click()
    _error_pattern(page, "edit-reason", "reason")
    _checked(page, "action-error")
    assert _api(page, "/api/plans/jtai/actions/1.1b/history") == before


def test_a_withdrawal_without_a_reason_opens_its_form_on_the_error(browser: Any, flows: dict[str, Any]) -> None:
    page = _login(browser, flows, SECRETARY)
    page.goto(f"/plans/jtai/actions/{flows['ref']}")
    update = next(u for u in _api(page, f"/api/plans/jtai/actions/{flows['ref']}/history")["updates"]
                  if u["source"] == "email")
    page.get_by_text(f"Withdraw update {update['id']}").first.click()  # opens the details
    page.get_by_role("button", name=f"Withdraw update {update['id']}").click()
    _error_pattern(page, f"reason-{update['id']}", "reason")  # the form is open again, its field focusable
    _checked(page, "action-withdraw-error")
    history = _api(page, f"/api/plans/jtai/actions/{flows['ref']}/history")
    assert not next(u for u in history["updates"] if u["id"] == update["id"])["withdrawn"]


def test_an_admin_adding_a_user_keeps_what_was_typed_on_an_error(browser: Any, flows: dict[str, Any]) -> None:
    page = _login(browser, flows, ADMIN)
    page.goto("/users")
    _checked(page, "users")
    page.get_by_label("Email address").fill("clerk@example.org")
    page.get_by_label("Name", exact=True).fill("The Clerk")
    page.get_by_label("Role").select_option("secretary")
    page.get_by_label("jtai", exact=True).check()
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Add the user").click()
    _error_pattern(page, "user-password", "10 characters")
    _checked(page, "users-error")
    assert page.get_by_label("Email address").input_value() == "clerk@example.org"
    assert page.get_by_label("Name", exact=True).input_value() == "The Clerk"
    assert page.get_by_label("Role").input_value() == "secretary" and page.get_by_label("jtai", exact=True).is_checked()
    assert all(u["email"] != "clerk@example.org" for u in _api(page, "/api/users"))


def test_a_session_that_expired_logs_in_again_and_changes_nothing(browser: Any, flows: dict[str, Any]) -> None:
    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    class EightHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 8 * 3600 - 60

    page = _login(browser, flows, SECRETARY)
    page.goto("/quarantine")
    held = _api(page, "/api/quarantine")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    stale = URLSafeTimedSerializer("test-secret", salt="planwarden-session", signer=EightHoursAgo).dumps(
        {"uid": flows["uid"], "csrf": token})
    page.context.add_cookies([{"name": "planwarden_session", "value": stale, "url": flows["url"]}])
    some = held[0]["id"]
    page.locator(f"#discard-{some}").fill("Submitted after the session ended")
    page.get_by_role("button", name=f"Discard reply {some}").click()
    page.wait_for_url(re.compile(r"/login"))
    _checked(page, "login-after-expiry")
    page.get_by_label("Email address").fill(SECRETARY)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/quarantine$"))  # back where the form was, not a 405
    assert _api(page, "/api/quarantine") == held
    page.goto("/plans/jtai")
    page.context.add_cookies([{"name": "planwarden_session", "value": stale, "url": flows["url"]}])
    page.get_by_label("Rating").select_option("red")  # htmx asks for the rows: the whole page goes to log in
    page.wait_for_url(re.compile(r"/login\?next="))
    assert "rag%3Dred" in page.url and page.locator("h1").inner_text() == "Log in"


@pytest.mark.parametrize("target", ["/\\evil.example/", "/\t/evil.example/", "//evil.example/"])
def test_login_never_sends_the_user_to_another_site(browser: Any, flows: dict[str, Any], target: str) -> None:
    """A link to the console's login page with a crafted next= ends on the console (no open redirect)."""
    page = browser.new_context(base_url=flows["url"]).new_page()
    page.goto("/login?" + urlencode({"next": target}))
    page.get_by_label("Email address").fill(SECRETARY)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    assert urlparse(page.url).netloc == urlparse(flows["url"]).netloc, page.url
    page.context.close()


def test_log_out_by_keyboard_and_the_back_button_shows_nothing(browser: Any, flows: dict[str, Any]) -> None:
    page = _login(browser, flows, SECRETARY)
    page.goto("/quarantine")
    kept = page.context.cookies()  # a copy of the session, as a shared PC or a thief would keep it
    copy = browser.new_context(base_url=flows["url"])
    copy.add_cookies(kept)
    assert copy.request.get("/api/quarantine").status == 200
    button = page.get_by_role("button", name="Log out")
    button.focus()
    _focus_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/login$"))
    page.go_back()
    page.wait_for_load_state()
    assert "/login" in page.url and "Replies in quarantine" not in page.content()
    assert page.request.get("/api/quarantine").status == 401
    assert copy.request.get("/api/quarantine").status == 401  # logging out ended the copy too
    copy.close()
    again = _login(browser, flows, SECRETARY)  # and a new login works as before
    assert again.request.get("/api/quarantine").status == 200


def _forge(page: Any, action: str, fields: dict[str, str]) -> None:
    """Submit a form the page does not offer, as a browser would (a real navigation)."""
    page.evaluate("""([action, fields]) => { const f = document.createElement('form');
        f.method = 'post'; f.action = action;
        for (const [k, v] of Object.entries(fields)) { const i = document.createElement('input');
            i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); }
        document.body.appendChild(f); f.submit(); }""", [action, fields])
    page.wait_for_load_state()


def test_a_member_gets_an_accessible_403(browser: Any, flows: dict[str, Any]) -> None:
    page = _login(browser, flows, MEMBER)
    page.goto("/quarantine")
    assert page.get_by_role("button", name=re.compile("^(Apply|Discard)")).count() == 0
    held = _api(page, "/api/quarantine")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    with page.expect_navigation():
        _forge(page, f"/quarantine/{held[0]['id']}/discard", {"csrf_token": token, "reason": "member"})
    assert page.locator("h1").inner_text() == "You cannot do that"
    _checked(page, "403")
    assert _api(page, "/api/quarantine") == held
    response = page.goto("/users")
    assert response is not None and response.status == 403
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Quarantine").click()  # moves on
    page.wait_for_url(re.compile(r"/quarantine$"))
    page.goto("/audit")
    with page.expect_navigation():
        page.get_by_role("button", name="Log out").click()  # or logs out, from the 403 page itself
    assert page.request.get("/api/quarantine").status == 401


def test_a_stale_or_missing_csrf_token_is_refused_clearly(browser: Any, flows: dict[str, Any]) -> None:
    page = _login(browser, flows, SECRETARY)
    page.goto("/quarantine")
    held = _api(page, "/api/quarantine")
    other = page.context.new_page()  # the same person logs in again in another tab: a new session, a new token
    other.goto("/login")
    other.get_by_label("Email address").fill(SECRETARY)
    other.get_by_label("Password").fill(PASSWORD)
    other.get_by_role("button", name="Log in").click()
    other.wait_for_url(re.compile(r"/$"))
    some = held[-1]["id"]
    page.locator(f"#discard-{some}").fill("From a tab opened before")
    with page.expect_navigation() as info:
        page.get_by_role("button", name=f"Discard reply {some}").click()
    assert info.value is not None and info.value.status == 403
    assert "expired" in page.locator("h1").inner_text().lower() and "reload" in page.locator("main").inner_text()
    _checked(page, "403-csrf")
    with other.expect_navigation():
        _forge(other, f"/quarantine/{some}/discard", {"reason": "no token"})
    assert other.locator("h1").inner_text() == "This form has expired"
    assert _api(other, "/api/quarantine") == held


def test_error_pages_are_pages(browser: Any, flows: dict[str, Any]) -> None:
    page = _login(browser, flows, SECRETARY)
    for path, status, name in (("/no-such-page", 404, "404"), ("/plans/jtai/actions/99.99z", 404, "404-action"),
                               ("/requests/1/approve", 405, "405"), ("/messages/not-a-number", 404, "404-id")):
        response = page.goto(path)
        assert response is not None and response.status == status, (path, response and response.status)
        assert "text/html" in response.headers["content-type"], path
        TITLES.pop(page.title(), None)  # the same kind of error has the same title wherever it happens
        _checked(page, name)


def test_a_message_only_the_console_wrote_is_shown(browser: Any, flows: dict[str, Any]) -> None:
    """The green and red banners say only what a write said: not words put in a link made elsewhere."""
    page = _login(browser, flows, SECRETARY)
    page.goto("/quarantine?done=Your+account+is+locked%3A+call+0800+000000&error=Session+ended&field=discard-1")
    assert page.locator(".govuk-notification-banner, .govuk-error-summary").count() == 0
    assert "0800" not in page.content() and not page.title().startswith("Error")
    page.goto("/quarantine?said=forged.token.value")
    assert page.locator(".govuk-notification-banner, .govuk-error-summary").count() == 0


def test_the_quarantine_when_empty(browser: Any, flows: dict[str, Any]) -> None:
    page = _login(browser, flows, SECRETARY)
    for r in _api(page, "/api/quarantine"):
        page.goto("/quarantine")
        page.locator(f"#discard-{r['id']}").fill("Cleared in the test")
        page.get_by_role("button", name=f"Discard reply {r['id']}").click()
        _done(page)
    assert "Nothing in quarantine" in page.locator("main").inner_text()
    _checked(page, "quarantine")
