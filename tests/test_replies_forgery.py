"""Property: no reply whose From addr-spec is not an owner or deputy ever changes a rating.

Hypothesis builds replies the way a forger would: the owner's address or name in the
display name (plain, quoted, RFC 2047 encoded), the owner as a second From mailbox, as
Sender or Reply-To, Authentication-Results claiming dmarc=pass from any server, every
way of stating a rating, threaded to real reminders or tagged with their refs. Whatever
it builds, every action keeps its rating and no progress update is recorded.
"""

from __future__ import annotations

import base64
import itertools
from email.header import Header

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from planwarden.plan.models import Action, ProgressUpdate
from replies_seed import REMINDERS
from replies_support import Env, make_env

OWNERS_AND_DEPUTIES = {"claire.littlewood", "simon.whittaker", "priya.shah", "james.adams", "lucy.moran",
                       "amanda.booth", "neil.fletcher"}
OUTSIDERS = ["attacker@evil.example", "claire.littlewood@evil.example", "claire.littlewood@examp1e.org",
             "rachel.hughes@example.org", "claire.littlewood@example.org.evil.example", "claire.littlewood+x@example.org",
             "c1aire.littlewood@example.org", "claire_littlewood@example.org", "postmaster@example.org"]
OWNER = "claire.littlewood@example.org"
_counter = itertools.count()


def _encoded(text: str, how: str) -> str:
    if how == "q":
        return Header(text, "utf-8").encode()
    return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="


@st.composite
def forged(draw: st.DrawFn) -> bytes:
    sender = draw(st.sampled_from(OUTSIDERS))
    owner = draw(st.sampled_from([OWNER, "james.adams@example.org", "amanda.booth@example.org"]))
    name_kind = draw(st.sampled_from(["owner-address", "quoted-owner", "encoded-q", "encoded-b", "owner-name", "none"]))
    name = {"owner-address": owner, "quoted-owner": f'"{owner}"', "encoded-q": _encoded(owner, "q"),
            "encoded-b": _encoded(f"Claire Littlewood <{owner}>", "b"), "owner-name": "Claire Littlewood",
            "none": ""}[name_kind]
    from_value = f"{name} <{sender}>" if name else sender
    if draw(st.booleans()):
        mailboxes = [from_value, f"Claire Littlewood <{owner}>"]
        from_value = ", ".join(draw(st.permutations(mailboxes)))
    reminder = draw(st.sampled_from(REMINDERS))
    ref = draw(st.sampled_from(reminder.refs))
    rating = draw(st.sampled_from(["Green", "RED", "amber", "complete"]))
    body = draw(st.sampled_from([f"RAG: {rating}", f"{ref} {rating.upper()} - done", f"Done.\n\n{rating}\n",
                                 f"Status: {rating}", f"{ref}: {rating.lower()}. All finished."]))
    lines = [f"From: {from_value}", f"To: jtai-plan@example.org",
             f"Subject: RE: [planwarden jtai {' '.join(reminder.refs)}] Reminder",
             f"Message-ID: <forged-{next(_counter)}@evil.example>", "MIME-Version: 1.0"]
    if draw(st.booleans()):
        lines.append(f"In-Reply-To: {reminder.message_id}")
    for extra in draw(st.lists(st.sampled_from(["sender", "reply-to", "ar-ours", "ar-theirs", "second-from"]),
                               max_size=3, unique=True)):
        lines.append({"sender": f"Sender: {owner}", "reply-to": f"Reply-To: {owner}",
                      "ar-ours": "Authentication-Results: mx.example.org; dmarc=pass header.from=example.org",
                      "ar-theirs": "Authentication-Results: mx.evil.example; dmarc=pass header.from=example.org",
                      "second-from": f"From: {owner}"}[extra])
    lines += ['Content-Type: text/plain; charset="utf-8"', "", body, ""]
    return "\r\n".join(lines).encode("utf-8")


def _state(env: Env) -> tuple[dict[str, str | None], int]:
    with env.sessions() as s:
        return ({a.ref: a.rag for a in s.scalars(select(Action))},
                s.scalar(select(func.count()).select_from(ProgressUpdate)) or 0)


def test_outsiders_never_change_a_rating(sqlite_url: str, monkeypatch: object, clock: object) -> None:
    from conftest import EXAMPLE

    monkeypatch.setenv("PLANWARDEN_CONFIG", str(EXAMPLE / "planwarden.toml"))  # type: ignore[attr-defined]
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)  # type: ignore[attr-defined]
    env = make_env()
    before = _state(env)
    assert before[1] == 0

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
    @given(forged())
    def check(raw: bytes) -> None:
        result = env.ingest(raw)
        assert result.outcome != "applied", (result.reason, raw.decode())
        assert _state(env) == before

    check()
    assert all(x.split("@")[0] not in OWNERS_AND_DEPUTIES or x.split("@")[1] != "example.org" for x in OUTSIDERS)
