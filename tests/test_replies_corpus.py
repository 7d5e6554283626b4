"""The hostile and odd reply corpus: every case scored against its expected outcome.

tests/data/replies/corpus/ holds one .eml per case, written the way Outlook, Gmail,
Apple Mail, mail servers and attackers write them, and expected.csv says what a careful
secretary expects: the outcome, the rule that decided, and the rating of every action
afterwards (``ratings`` lists the ones that should differ from the seeded plan; every
other action must keep its rating). ``after`` names a case read first (repeats and
duplicates). The whole corpus also goes through a real IMAP server (pymap) and
``collect``, and through the ``ingest`` command.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from planwarden.plan.models import Action, Person
from replies_seed import ACTIONS
from replies_support import Env, make_env

CORPUS = Path(__file__).parent / "data" / "replies" / "corpus"
CASES = list(csv.DictReader((CORPUS / "expected.csv").open(encoding="utf-8")))
SEEDED = {ref: rag for ref, _text, _owners, rag, _due in ACTIONS}


@pytest.fixture
def sqlite_jtai(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> str:
    """The corpus is about reading mail: one database is enough per case (the ingest command runs on both)."""
    from conftest import EXAMPLE

    monkeypatch.setenv("PLANWARDEN_CONFIG", str(EXAMPLE / "planwarden.toml"))
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    return sqlite_url


def expected_ratings(case: dict[str, str]) -> dict[str, str | None]:
    want = dict(SEEDED)
    for pair in filter(None, case["ratings"].split(";")):
        ref, _, rag = pair.partition("=")
        want[ref] = rag or None
    return want


def ratings(env: Env) -> dict[str, str | None]:
    with env.sessions() as s:
        return {a.ref: a.rag for a in s.scalars(select(Action))}


def test_the_corpus_is_big_and_varied() -> None:
    assert len(CASES) >= 60
    assert {c["outcome"] for c in CASES} == {"applied", "ignored", "quarantined"}
    assert all((CORPUS / c["file"]).is_file() for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["file"].removesuffix(".eml") for c in CASES])
def test_corpus_case(sqlite_jtai: str, clock: object, case: dict[str, str]) -> None:
    env = make_env()
    if case["after"]:
        env.ingest((CORPUS / case["after"]).read_bytes(), "corpus")
    result = env.ingest((CORPUS / case["file"]).read_bytes(), "corpus")
    assert (result.outcome, result.rule) == (case["outcome"], case["rule"]), f"{case['why']}: {result.reason}"
    assert ratings(env) == expected_ratings(case), case["why"]


def test_copied_example_is_named_in_the_confirmation(sqlite_jtai: str, clock: object) -> None:
    env = make_env()
    result = env.ingest((CORPUS / "w06_template_filled.eml").read_bytes())
    assert result.outcome == "applied"
    [conf] = env.outbox("confirmation")
    assert b"example lines from the reminder" in conf.raw.replace(b"=\r\n", b"").replace(b"\r\n", b" ")


def test_past_new_date_is_kept_in_text_and_explained(sqlite_jtai: str, clock: object) -> None:
    env = make_env()
    result = env.ingest((CORPUS / "w22_past_new_date.eml").read_bytes())
    [u] = result.updates
    assert u["requested_due"] is None and "New date: 30 November 2022" in u["text"]
    assert env.updates("1.1a")[0].requested_due is None
    [conf] = env.outbox("confirmation")
    assert b"has already passed" in conf.raw.replace(b"=\r\n", b"").replace(b"\r\n", b" ")


def test_out_of_office_marks_away_only_when_still_ahead(sqlite_jtai: str, clock: object) -> None:
    env = make_env()
    env.ingest((CORPUS / "k07_ooo_old_no_year.eml").read_bytes())
    with env.sessions() as s:
        assert all(p.away_until is None for p in s.scalars(select(Person)))
    env.ingest((CORPUS / "k06_ooo_until_date.eml").read_bytes())
    with env.sessions() as s:
        claire = s.scalar(select(Person).where(Person.email == "claire.littlewood@example.org"))
        assert claire is not None and str(claire.away_until) == "2023-01-04"


def test_bounces_mark_only_for_messages_we_sent(sqlite_jtai: str, clock: object) -> None:
    env = make_env()
    env.ingest((CORPUS / "k04_dsn_not_ours.eml").read_bytes())
    env.ingest((CORPUS / "k05_text_bounce_not_ours.eml").read_bytes())
    with env.sessions() as s:
        assert all(p.failing_since is None for p in s.scalars(select(Person)))
    assert env.outbox("notice") == []
    env.ingest((CORPUS / "k03_dsn_ours.eml").read_bytes())
    with env.sessions() as s:
        failing = [p.email for p in s.scalars(select(Person)) if p.failing_since is not None]
    assert failing == ["amanda.booth@example.org"] and len(env.outbox("notice")) == 1


def _all_cases_in_order() -> list[dict[str, str]]:
    """Cases with an ``after`` come after it; each file once."""
    return sorted(CASES, key=lambda c: (c["after"] or c["file"], bool(c["after"])))


def _check_outcomes(got: dict[str, tuple[str, str]]) -> None:
    misses = {c["file"]: (got.get(c["file"]), (c["outcome"], c["rule"])) for c in CASES
              if got.get(c["file"]) != (c["outcome"], c["rule"])}
    assert not misses


def test_corpus_through_ingest_command(jtai_env: str, clock: object, tmp_path: Path) -> None:
    """The `ingest` command on every file at once: the outcomes match the table (one database)."""
    make_env()
    files = [str(CORPUS / c["file"]) for c in _all_cases_in_order()]
    from planwarden.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["ingest", *files, "--json"])
    assert code == 0
    results = json.loads(out.getvalue())
    got = {Path(f).name: r["outcome"] for f, r in zip(files, results, strict=True)}
    assert got == {c["file"]: c["outcome"] for c in CASES}


def test_corpus_through_imap(sqlite_jtai: str, clock: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every case appended to a real IMAP server (pymap), read by ``collect``: same outcomes, settled."""
    from planwarden.mail.imap import ImapMailbox
    from planwarden.replies.collect import collect
    from test_imap import Pymap, settings

    monkeypatch.setenv("T_IMAP_USER", "replies")
    monkeypatch.setenv("T_IMAP_PASS", "pw")
    env = make_env()
    server = Pymap()
    try:
        order = _all_cases_in_order()
        with server.client() as c:
            for case in order:
                assert c.append("INBOX", None, None, (CORPUS / case["file"]).read_bytes())[0] == "OK"
        report = collect(env.sessions, env.config, ImapMailbox(settings(server)), limit=500)
        assert report.error is None
        got = {case["file"]: (r.outcome, r.rule) for case, r in zip(order, report.results, strict=True)}
        _check_outcomes(got)
        assert server.folder("INBOX") == []
        assert len(server.folder("Quarantine")) == sum(c["outcome"] == "quarantined" for c in CASES)
    finally:
        server.stop()


@pytest.mark.parametrize("part", ["text", "html"])
def test_the_reminders_own_how_to_reply_block_copied_verbatim_changes_nothing(sqlite_jtai: str, clock: object,
                                                                               part: str) -> None:
    """The block as the reminder renders it (text, and HTML as a client turns it into text), copied under a ref."""
    from planwarden.mail.emails import load_samples, render
    from planwarden.replies.htmltext import html_to_text
    from replies_support import reply

    context = load_samples()["reminder"]()
    context["how_to_reply"]["example"] = [line.replace(context["example_ref"], "2.1d", 1)
                                          for line in context["how_to_reply"]["example"]]
    rendered = render("reminder", context)
    body = rendered.text if part == "text" else html_to_text(rendered.html)
    start = body.upper().index("HOW TO REPLY")
    end = body.index("confirmation of what was recorded", start)
    block = body[start:body.index("\n", end) if "\n" in body[end:] else len(body)]
    env = make_env()
    before = ratings(env)
    result = env.ingest(reply(block, sender="james.adams@example.org", name="James Adams", message_id=f"<copy-{part}@x>",
                              in_reply_to="<reminder-james-21d@jtai-plan.example.org>"))
    assert result.outcome != "applied", result.reason
    assert ratings(env) == before and env.updates("2.1d") == []
