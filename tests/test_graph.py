"""Microsoft Graph transport and mailbox against recorded Graph HTTP exchanges
(tests/data/graph/*.json) served through httpx.MockTransport, with an injected token."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import httpx
import pytest
from sqlalchemy import select

from planwarden.core.clock import FixedClock
from planwarden.core.config import GraphSettings
from planwarden.core.db import session_factory, session_scope
from planwarden.mail.compose import Draft, build
from planwarden.mail.delivery import deliver_pending
from planwarden.mail.graph import GraphMailbox, GraphTransport
from planwarden.mail.models import MailState
from planwarden.mail.outbox import enqueue
from planwarden.mail.transport import MailboxUnavailable, OutgoingMail, TransportUnavailable
from planwarden.plan.models import OutboxMessage

DATA = Path(__file__).parent / "data" / "graph"
SETTINGS = GraphSettings(tenant_id="contoso-tenant", client_id="app-id", mailbox="plan@contoso.org")
TOKEN = "eyJ0eXAiOiJKV1QiLCJub25jZSI6InRlc3QifQ.test-token"


class Replay:
    """Serves recorded exchanges in order; fails on any request that does not match."""

    def __init__(self, *names: str) -> None:
        self.exchanges: list[dict[str, Any]] = [x for n in names for x in json.loads((DATA / n).read_text())["exchanges"]]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert self.exchanges, f"unexpected request {request.method} {request.url}"
        want, answer = self.exchanges[0]["request"], self.exchanges[0]["response"]
        assert (request.method, unquote_plus(str(request.url))) == (want["method"], unquote_plus(want["url"]))
        for name, value in want.get("headers", {}).items():
            assert request.headers.get(name) == value
        if "json" in want:
            assert json.loads(request.content) == want["json"]
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        self.exchanges.pop(0)
        self.requests.append(request)
        kw: dict[str, Any] = {"headers": answer.get("headers", {})}
        if "json" in answer:
            kw["content"] = json.dumps(answer["json"]).encode()
        elif "text" in answer:
            kw["content"] = answer["text"].encode()
        return httpx.Response(answer["status"], **kw)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


def _mail(i: int, to: str = "owner@contoso.org") -> OutgoingMail:
    draft = Draft(sender="plan@contoso.org", to=[to], subject=f"Reminder {i}", text="Your actions.")
    return OutgoingMail(i, f"<m{i}@contoso.org>", draft.sender, (to,), build(draft, f"<m{i}@contoso.org>").as_bytes())


def test_send_posts_the_mime_message_and_classifies_answers(clock: FixedClock) -> None:
    replay = Replay("send_mime.json")
    transport = GraphTransport(SETTINGS, token_provider=lambda: TOKEN, client=replay.client())
    batch = [_mail(i) for i in range(1, 6)]
    results = transport.send(batch)
    assert [r.outcome for r in results] == ["sent", "retry", "failed", "retry", "failed"]
    assert "retry-after=30" in results[1].detail and "ErrorInvalidRecipients" in results[2].detail
    assert "retry-after=120" in results[3].detail and "ErrorAccessDenied" in results[4].detail
    for mail, request in zip(batch, replay.requests):
        assert base64.b64decode(request.content) == mail.raw, "the exact MIME message, with our Message-ID"
    assert not replay.exchanges


def test_delivery_honours_graph_retry_after(db_url: str, clock: FixedClock) -> None:
    replay = Replay("send_mime.json")
    with session_scope(db_url) as session:
        ids = [enqueue(session, Draft(sender="plan@contoso.org", to=[f"o{i}@contoso.org"], subject="R", text="t"),
                       kind="reminder", dedupe_key=f"g{i}").id for i in range(5)]
    stats = deliver_pending(session_factory(db_url), GraphTransport(SETTINGS, token_provider=lambda: TOKEN,
                                                                    client=replay.client()))
    assert (stats.sent, stats.retried, stats.failed) == (1, 2, 2)
    with session_scope(db_url) as session:
        rows = {r.id: r for r in session.scalars(select(OutboxMessage))}
    assert (rows[ids[1]].next_attempt_at - clock.now()).total_seconds() == 60  # backoff 1 min > 30 s
    assert (rows[ids[3]].next_attempt_at - clock.now()).total_seconds() == 120  # Retry-After 120 s wins


def test_graph_unreachable_or_without_credentials_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    transport = GraphTransport(SETTINGS, token_provider=lambda: TOKEN,
                               client=httpx.Client(transport=httpx.MockTransport(down)))
    with pytest.raises(TransportUnavailable, match="cannot reach Microsoft Graph"):
        transport.send([_mail(1)])
    monkeypatch.delenv("PLANWARDEN_GRAPH_CLIENT_SECRET", raising=False)
    with pytest.raises(TransportUnavailable, match="PLANWARDEN_GRAPH_CLIENT_SECRET"):
        GraphTransport(SETTINGS, client=Replay().client()).send([_mail(1)])


def test_inbox_delta_reads_oldest_first_and_persists_the_delta_link(db_url: str, clock: FixedClock) -> None:
    replay = Replay("inbox_delta.json")
    sessions = session_factory(db_url)
    box = GraphMailbox(SETTINGS, token_provider=lambda: TOKEN, client=replay.client(), sessions=sessions)
    first = list(box.fetch())
    assert [b"<reply1@contoso.org>" in m.raw for m in first] == [True, False, False]
    assert [m.raw.split(b"Message-ID: ")[1][:20] for m in first] == [
        b"<reply1@contoso.org>", b"<reply2@contoso.org>", b"<reply3@contoso.org>"]
    assert box.delta_link() and box.delta_link().endswith("$deltatoken=LztZwWjo5IivWBhyxw5rAKHFoC4b9CSJ6ZJ4uHwu4Rs")
    # A new process (a later run) resumes from the stored delta link.
    later = GraphMailbox(SETTINGS, token_provider=lambda: TOKEN, client=replay.client(), sessions=sessions)
    second = list(later.fetch())
    assert [b"<reply4@contoso.org>" in m.raw for m in second] == [True]
    assert not replay.exchanges
    with session_scope(db_url) as session:
        state = session.get(MailState, "graph-delta:plan@contoso.org:inbox")
        assert state is not None and state.value.endswith("Q9a1c0m2Xy7Kb5RxT4fW3nLpZ8vH6jE0sD2gU1oI9yA")


def test_an_unfinished_page_is_not_marked_read(clock: FixedClock) -> None:
    replay = Replay("inbox_delta.json")
    box = GraphMailbox(SETTINGS, token_provider=lambda: TOKEN, client=replay.client())
    assert len(list(box.fetch(limit=1))) == 1
    assert box.delta_link() is None, "the first page was not finished: it is read again next time"


def test_graph_going_away_mid_fetch_keeps_what_was_read(clock: FixedClock) -> None:
    replay = Replay("inbox_delta.json")
    replay.exchanges = replay.exchanges[:2]  # the server vanishes after the first message

    def vanishing(request: httpx.Request) -> httpx.Response:
        if not replay.exchanges:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return replay(request)

    box = GraphMailbox(SETTINGS, token_provider=lambda: TOKEN,
                       client=httpx.Client(transport=httpx.MockTransport(vanishing)))
    got = []
    with pytest.raises(MailboxUnavailable, match="went away.*nothing was moved"):
        for message in box.fetch():
            got.append(message)
    assert len(got) == 1 and box.delta_link() is None

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    box = GraphMailbox(SETTINGS, token_provider=lambda: TOKEN, client=httpx.Client(transport=httpx.MockTransport(down)))
    with pytest.raises(MailboxUnavailable, match="went away"):
        list(box.fetch())


def test_settle_creates_the_folder_once_and_moves(clock: FixedClock) -> None:
    replay = Replay("settle_move.json")
    box = GraphMailbox(SETTINGS, token_provider=lambda: TOKEN, client=replay.client())
    uid = json.loads((DATA / "inbox_delta.json").read_text())["exchanges"][0]["response"]["json"]["value"][1]["id"]
    box.settle(uid, "processed")
    box.settle(uid, "processed")  # already moved (404): a rerun after a crash is harmless
    assert not replay.exchanges
