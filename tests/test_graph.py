"""Microsoft Graph transport and mailbox against recorded Graph HTTP exchanges
(tests/data/graph/*.json) served through httpx.MockTransport, with an injected token."""

from __future__ import annotations

import base64
import email
import email.policy
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
from planwarden.mail.compose import Attachment, Draft, build
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
            assert request.headers.get(name) == value, name
        if "json" in want:
            assert json.loads(request.content) == want["json"]
        if want.get("authorization", True):
            assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        else:  # the pre-authenticated upload URL: a bearer token there is refused
            assert "Authorization" not in request.headers
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
    transport = GraphTransport(SETTINGS, token_provider=lambda: TOKEN, client=replay.client(), max_wait=0)
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
                                                                    client=replay.client(), max_wait=0))
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
    assert box.delta_link() is None, "nothing is stored until the caller records what it read"
    with sessions.begin() as session:
        box.checkpoint(session)
    assert [b"<reply1@contoso.org>" in m.raw for m in first] == [True, False, False]
    assert [m.raw.split(b"Message-ID: ")[1][:20] for m in first] == [
        b"<reply1@contoso.org>", b"<reply2@contoso.org>", b"<reply3@contoso.org>"]
    assert box.delta_link() and box.delta_link().endswith("$deltatoken=LztZwWjo5IivWBhyxw5rAKHFoC4b9CSJ6ZJ4uHwu4Rs")
    # A new process (a later run) resumes from the stored delta link.
    later = GraphMailbox(SETTINGS, token_provider=lambda: TOKEN, client=replay.client(), sessions=sessions)
    second = list(later.fetch())
    with sessions.begin() as session:
        later.checkpoint(session)
    assert [b"<reply4@contoso.org>" in m.raw for m in second] == [True]
    assert not replay.exchanges
    with session_scope(db_url) as session:
        state = session.get(MailState, "graph-delta:plan@contoso.org:inbox")
        assert state is not None and state.value.endswith("Q9a1c0m2Xy7Kb5RxT4fW3nLpZ8vH6jE0sD2gU1oI9yA")


def test_an_unfinished_page_is_not_marked_read(clock: FixedClock) -> None:
    replay = Replay("inbox_delta.json")
    box = GraphMailbox(SETTINGS, token_provider=lambda: TOKEN, client=replay.client())
    assert len(list(box.fetch(limit=1))) == 1
    assert box._reached is None, "the first page was not finished: it is read again next time"


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
    assert len(got) == 1 and box._reached is None

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


# --------------------------------------------------------------------------- large messages


def _pack(size: int = 10 * 1024 * 1024) -> tuple[OutgoingMail, bytes, bytes]:
    """A board pack of ``size`` bytes of PDF (incompressible) plus a small DOCX."""
    import random

    pdf = b"%PDF-1.7\n" + random.Random(16).randbytes(size - 9)
    docx = b"PK\x03\x04" + random.Random(17).randbytes(200_000)
    draft = Draft(sender="plan@contoso.org", to=["secretary@contoso.org"], subject="Board pack: December 2022",
                  text="The pack is attached.", attachments=[
                      Attachment("board-pack-2022-12.pdf", pdf, "application", "pdf"),
                      Attachment("board-pack-2022-12.docx", docx, "application",
                                 "vnd.openxmlformats-officedocument.wordprocessingml.document")])
    raw = build(draft, "<pack-2022-12@contoso.org>").as_bytes()
    return OutgoingMail(1, "<pack-2022-12@contoso.org>", draft.sender, ("secretary@contoso.org",), raw), pdf, docx


def test_a_10_mb_pack_goes_through_an_upload_session(clock: FixedClock) -> None:
    replay = Replay("send_large_upload_session.json")
    mail, pdf, docx = _pack()
    assert len(mail.raw) > 13 * 1024 * 1024, "over sendMail's 4 MB many times"
    [result] = GraphTransport(SETTINGS, token_provider=lambda: TOKEN, client=replay.client()).send([mail])
    assert result.outcome == "sent", result.detail
    assert not replay.exchanges, "draft, upload session, four ranges, send: every step taken"
    draft_mime = email.message_from_bytes(base64.b64decode(replay.requests[0].content), policy=email.policy.default)
    assert draft_mime["Message-ID"] == "<pack-2022-12@contoso.org>" and draft_mime["To"] == "secretary@contoso.org"
    names = [p.get_filename() for p in draft_mime.iter_attachments()]  # type: ignore[attr-defined]
    assert names == ["board-pack-2022-12.docx"], "the small file stays in the MIME draft, the PDF is uploaded"
    puts = [r for r in replay.requests if r.method == "PUT"]
    assert len(puts) == 4 and all(len(r.content) % (320 * 1024) == 0 for r in puts[:-1])
    assert b"".join(r.content for r in puts) == pdf, "the PDF arrives whole, byte for byte"


def test_a_failed_upload_deletes_the_draft_and_retries_later(clock: FixedClock) -> None:
    replay = Replay("send_large_upload_fails.json")
    mail, _, _ = _pack()
    [result] = GraphTransport(SETTINGS, token_provider=lambda: TOKEN, client=replay.client()).send([mail])
    assert result.outcome == "retry" and "ErrorInternalServerTransientError" in result.detail
    assert not replay.exchanges and replay.requests[-1].method == "DELETE", "no half-built draft left behind"


def test_a_message_whose_text_alone_is_too_big_fails_clearly(clock: FixedClock) -> None:
    draft = Draft(sender="plan@contoso.org", to=["o@contoso.org"], subject="Huge", text="x " * 2_500_000)
    raw = build(draft, "<huge@contoso.org>").as_bytes()
    [result] = GraphTransport(SETTINGS, token_provider=lambda: TOKEN, client=Replay().client()).send(
        [OutgoingMail(1, "<huge@contoso.org>", draft.sender, ("o@contoso.org",), raw)])
    assert result.outcome == "failed" and "4 MB" in result.detail


# --------------------------------------------------------------------------- throttling


def test_429_and_503_retry_after_is_waited_out_or_handed_back(clock: FixedClock) -> None:
    replay = Replay("send_throttled.json")
    slept: list[float] = []
    transport = GraphTransport(SETTINGS, token_provider=lambda: TOKEN, client=replay.client(), sleep=slept.append)
    results = transport.send([_mail(1), _mail(2), _mail(3)])
    assert [r.outcome for r in results] == ["sent", "sent", "retry"]
    assert slept == [2, 5], "each short Retry-After waited exactly as asked (no real waiting: injected sleeper)"
    assert "retry-after=600" in results[2].detail, "a long one goes back to the outbox, which holds the message"
    assert not replay.exchanges


# --------------------------------------------------------------------------- reading by delta, across restarts


def test_an_expired_delta_token_reads_the_folder_again(db_url: str, clock: FixedClock) -> None:
    sessions = session_factory(db_url)
    expired = "https://graph.microsoft.com/v1.0/users/plan@contoso.org/mailFolders/inbox/messages/delta" \
              "?$deltatoken=LztZwWjo5IivWBhyxw5rAKHFoC4b9CSJ6ZJ4uHwu4Rs"
    with sessions.begin() as session:
        session.add(MailState(key="graph-delta:plan@contoso.org:inbox", value=expired, updated_at=clock.now()))
    replay = Replay("inbox_delta_expired.json")
    box = GraphMailbox(SETTINGS, token_provider=lambda: TOKEN, client=replay.client(), sessions=sessions)
    got = list(box.fetch())
    with sessions.begin() as session:
        box.checkpoint(session)
    assert box.resynced and [b"<reply3@contoso.org>" in m.raw for m in got] == [True]
    assert box.delta_link().endswith("Rr5bH0cMzKd8T1vWq4yXn7sPfA2uLg9eJ3oI6hB1cN0") and not replay.exchanges


def test_no_reply_missed_or_read_twice_across_a_crash(jtai_env: str, clock: FixedClock,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The delta link is stored in the transaction that records the replies read: a process
    killed mid-batch leaves the position where the last commit left it."""
    from planwarden.replies import collect as collect_module
    from planwarden.replies.models import InboundMessage
    from replies_support import make_env

    env = make_env()
    replay = Replay("inbox_delta.json")

    def box() -> GraphMailbox:
        mailbox = GraphMailbox(SETTINGS, token_provider=lambda: TOKEN, client=replay.client(), sessions=env.sessions)
        mailbox.settle = lambda uid, outcome: None  # type: ignore[method-assign]  # moves: tested above
        return mailbox

    real = collect_module.ingest_one

    def killed_at_reply3(session: Any, config: Any, directory: Any, raw: bytes, source: str) -> Any:
        if b"<reply3@contoso.org>" in raw:
            raise KeyboardInterrupt("killed")
        return real(session, config, directory, raw, source)

    monkeypatch.setattr(collect_module, "ingest_one", killed_at_reply3)
    with pytest.raises(KeyboardInterrupt):  # one batch spans both delta pages: reply1, reply2 | reply3
        collect_module.collect(env.sessions, env.config, box(), batch_size=3)
    monkeypatch.setattr(collect_module, "ingest_one", real)

    def recorded() -> list[str]:
        with env.sessions() as s:
            return sorted(s.scalars(select(InboundMessage.message_id)))

    assert recorded() == [] and box().delta_link() is None, "the position did not run ahead of the commit"
    replay.exchanges = Replay("inbox_delta.json").exchanges  # a new process: Graph answers afresh
    rerun = collect_module.collect(env.sessions, env.config, box(), batch_size=2)
    assert len(rerun.results) == 3 and recorded() == [f"<reply{i}@contoso.org>" for i in (1, 2, 3)]
    assert box().delta_link().endswith("LztZwWjo5IivWBhyxw5rAKHFoC4b9CSJ6ZJ4uHwu4Rs")
    later = collect_module.collect(env.sessions, env.config, box())  # the next round, from the delta link
    assert len(later.results) == 1 and not replay.exchanges
    assert recorded() == [f"<reply{i}@contoso.org>" for i in (1, 2, 3, 4)], "each reply recorded exactly once"


def test_after_a_resync_replies_already_recorded_are_not_applied_again(jtai_env: str, clock: FixedClock) -> None:
    from planwarden.replies.collect import collect
    from replies_support import make_env

    env = make_env()
    raw3 = Replay("inbox_delta_expired.json").exchanges[2]["response"]["text"].encode()
    first = env.ingest(raw3)
    with env.sessions.begin() as session:
        session.add(MailState(key="graph-delta:plan@contoso.org:inbox", updated_at=clock.now(),
                              value=Replay("inbox_delta_expired.json").exchanges[0]["request"]["url"]))
    replay = Replay("inbox_delta_expired.json")
    box = GraphMailbox(SETTINGS, token_provider=lambda: TOKEN, client=replay.client(), sessions=env.sessions)
    box.settle = lambda uid, outcome: None  # type: ignore[method-assign]
    report = collect(env.sessions, env.config, box)
    assert box.resynced and not replay.exchanges
    assert [(r.outcome, r.reason.split(":")[0]) for r in report.results] == [("ignored", "duplicate")]
    assert first.outcome != "ignored" or "duplicate" not in first.reason


def test_a_throttled_read_waits_as_asked_then_carries_on(clock: FixedClock) -> None:
    replay = Replay("inbox_delta.json")
    first = replay.exchanges[0]
    replay.exchanges.insert(0, {"request": first["request"], "response": {
        "status": 503, "headers": {"Retry-After": "7", "Content-Type": "application/json"},
        "json": {"error": {"code": "ServiceUnavailable", "message": "Service Unavailable"}}}})
    slept: list[float] = []
    box = GraphMailbox(SETTINGS, token_provider=lambda: TOKEN, client=replay.client(), sleep=slept.append)
    assert len(list(box.fetch())) == 3 and slept == [7]
