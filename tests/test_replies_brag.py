"""Replies on a BRAG plan: Blue (and "Complete") means complete, Green means on track.

The words are read by the extractor with no database; the rating they set is plan.rag's
(Blue is stored as green + complete); one ingest runs the whole chain on a BRAG plan.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from planwarden.plan.corrections import withdraw
from planwarden.plan.models import Action, History, Plan
from planwarden.plan.rag import display, is_complete
from planwarden.replies import rules
from planwarden.replies.extract import extract, rating_for
from planwarden.replies.facts import Facts
from planwarden.replies.placing import Placement, PlacedUpdate
from replies_support import Env, make_env, reply
from test_replies_rules import NOW, mail


def said(body: str, scale: str) -> tuple[str | None, bool | None]:
    [e] = extract(body, {"1.1a"})
    return rating_for(e, scale)


@pytest.mark.parametrize("body, brag, rag", [
    ("Blue", ("green", True), ("green", None)),
    ("Status: complete. All minutes audited.", ("green", True), ("green", None)),
    ("BLUE – signed off by the board", ("green", True), ("green", None)),
    ("RAG: Green\nWork continues.", ("green", False), ("green", None)),
    ("Status: on track", ("green", False), ("amber", None)),
    ("Amber - waiting for the audit team", ("amber", False), ("amber", None)),
    ("RAG: red", ("red", False), ("red", None)),
    ("Working on it, nothing to rate.", (None, None), (None, None)),
    ("Blue light services were consulted.", (None, None), (None, None)),  # a word inside a sentence
])
def test_words_read_in_the_plans_scale(body: str, brag: tuple[str | None, bool | None],
                                       rag: tuple[str | None, bool | None]) -> None:
    assert said(body, "brag") == brag
    assert said(body, "rag") == rag


def test_blue_shows_as_blue_only_on_brag() -> None:
    rag, complete = said("Blue", "brag")
    assert display(rag, complete, "brag") == "blue" and is_complete(rag, complete, "brag")
    rag, complete = said("Green", "brag")
    assert display(rag, complete, "brag") == "green" and not is_complete(rag, complete, "brag")


def _facts(body: str, scale: str) -> Facts:
    [e] = extract(body, {"1.1a"})
    action = Action(id=1, ref="1.1a", plan=Plan(key="jtai", timezone="Europe/London", rating_scale=scale))
    placed = PlacedUpdate(action, "jtai", e, "Claire Littlewood")
    return Facts(now=NOW, today=NOW.date(), sender_known=True,
                 placement=Placement(updates=[placed]))  # type: ignore[call-arg]


def test_green_and_blue_together_are_a_conflict_on_brag_only() -> None:
    body = "RAG: Green\nStatus: Blue"
    verdict = rules.conflicting(mail(body=body), _facts(body, "brag"))
    assert verdict is not None and verdict.rule == "conflicting" and "green, blue" in verdict.reason
    assert rules.conflicting(mail(body=body), _facts(body, "rag")) is None  # both mean complete under RAG


@pytest.fixture
def env(jtai_env: str, clock: object) -> Env:
    return make_env()


def test_blue_reply_on_a_brag_plan_completes_the_action(env: Env) -> None:
    with env.sessions.begin() as s:
        s.execute(update(Plan).values(rating_scale="brag"))
        s.execute(update(Action).where(Action.ref == "1.1a").values(rag="green", complete=False))
    result = env.ingest(reply("Blue - all strategy minutes audited."))
    assert result.outcome == "applied", result.reason
    a = env.action("1.1a")
    assert (a.rag, a.complete) == ("green", True)
    [u] = env.updates("1.1a")
    assert u.rag == "green" and "all strategy minutes audited" in u.text
    with env.sessions() as s:
        changed = {h.field: (h.old, h.new) for h in s.scalars(select(History).where(History.source == "email"))}
    assert changed["complete"] == (False, True) and "rag" not in changed  # green before and after
    env.ingest(reply("RAG: Green - one audit reopened", message_id="<r-2@example.org>"))
    assert (env.action("1.1a").rag, env.action("1.1a").complete) == ("green", False)  # on track, not complete
    with env.sessions.begin() as s:  # withdrawing the Green reply puts the Blue back
        withdraw(s, env.updates("1.1a")[-1].id, "sent too early", actor="Rachel Hughes")
    assert (env.action("1.1a").rag, env.action("1.1a").complete) == ("green", True)
