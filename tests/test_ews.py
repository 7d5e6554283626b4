"""EWS (on-premises Exchange) against recorded SOAP responses (tests/data/ews/*.xml) served
by a tiny HTTP endpoint on 127.0.0.1; the requests exchangelib sends are checked."""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from planwarden.core.config import EwsSettings
from planwarden.mail.compose import Draft, build
from planwarden.mail.ews import EwsMailbox, EwsTransport
from planwarden.mail.transport import OutgoingMail, TransportUnavailable

DATA = Path(__file__).parent / "data" / "ews"


class FakeEws:
    """Answers each SOAP operation with the next recorded response queued for it."""

    def __init__(self) -> None:
        self.responses: dict[str, list[str]] = {}
        self.requests: list[tuple[str, str, str]] = []  # (operation, Authorization, body)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                op = re.search(r"<s:Body><m:(\w+)", body)
                name = op.group(1) if op else "?"
                fake.requests.append((name, self.headers.get("Authorization", ""), body))
                queue = fake.responses.get(name) or []
                if not queue:
                    self.send_response(500)
                    self.end_headers()
                    return
                data = (DATA / queue.pop(0)).read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def queue(self, op: str, *files: str) -> None:
        self.responses.setdefault(op, []).extend(files)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/EWS/Exchange.asmx"


@pytest.fixture
def ews(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeEws]:
    monkeypatch.setenv("T_EWS_USER", "CONTOSO\\svc-planwarden")
    monkeypatch.setenv("T_EWS_PASS", "pa55word")
    fake = FakeEws()
    yield fake
    fake.server.shutdown()


def settings(fake: FakeEws) -> EwsSettings:
    return EwsSettings(service_endpoint=fake.endpoint, primary_smtp_address="plan@contoso.local",
                       username_env="T_EWS_USER", password_env="T_EWS_PASS")


def kw() -> dict[str, object]:
    from exchangelib import BASIC, Version
    from exchangelib.version import EXCHANGE_2016

    return {"auth_type": BASIC, "version": Version(build=EXCHANGE_2016)}


def _mail(i: int) -> OutgoingMail:
    draft = Draft(sender="plan@contoso.local", to=[f"owner{i}@contoso.local"], subject=f"Reminder {i}", text="Due.")
    return OutgoingMail(i, f"<m{i}@contoso.local>", draft.sender, (f"owner{i}@contoso.local",),
                        build(draft, f"<m{i}@contoso.local>").as_bytes())


def test_send_is_createitem_sendandsavecopy_with_our_mime(ews: FakeEws) -> None:
    ews.queue("CreateItem", "create_item_sent.xml", "create_item_invalid_recipients.xml", "create_item_server_busy.xml")
    batch = [_mail(1), _mail(2), _mail(3)]
    results = EwsTransport(settings(ews), **kw()).send(batch)
    assert [r.outcome for r in results] == ["sent", "failed", "retry"]
    assert "ErrorInvalidRecipients" in results[1].detail and "ErrorServerBusy" in results[2].detail
    assert [op for op, _, _ in ews.requests] == ["CreateItem"] * 3
    op, auth, body = ews.requests[0]
    assert auth == "Basic " + base64.b64encode(b"CONTOSO\\svc-planwarden:pa55word").decode()
    assert 'MessageDisposition="SendAndSaveCopy"' in body
    assert '<t:DistinguishedFolderId Id="sentitems">' in body and "plan@contoso.local" in body
    mime = re.search(r"<t:MimeContent>([^<]+)</t:MimeContent>", body)
    assert mime and base64.b64decode(mime.group(1)) == batch[0].raw


def test_unreachable_server_missing_credentials_and_exchange_online(ews: FakeEws,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    down = EwsSettings(service_endpoint="http://127.0.0.1:9/EWS/Exchange.asmx",
                       primary_smtp_address="plan@contoso.local", username_env="T_EWS_USER", password_env="T_EWS_PASS")
    with pytest.raises(TransportUnavailable, match="cannot use EWS"):
        EwsTransport(down, **kw()).send([_mail(1)])
    online = EwsSettings(service_endpoint="https://outlook.office365.com/EWS/Exchange.asmx",
                         primary_smtp_address="plan@contoso.org")
    with pytest.raises(TransportUnavailable, match="graph"):
        EwsTransport(online).send([_mail(1)])
    monkeypatch.delenv("T_EWS_PASS")
    with pytest.raises(TransportUnavailable, match="T_EWS_PASS"):
        EwsTransport(settings(ews), **kw()).send([_mail(1)])


def test_mailbox_finds_inbox_items_oldest_first_fetches_mime_and_moves_on_settle(ews: FakeEws) -> None:
    ews.queue("GetFolder", "get_folder_root.xml")  # exchangelib resolves the mailbox root once
    ews.queue("FindItem", "find_item_inbox.xml")
    ews.queue("GetItem", "get_item_mime.xml")
    box = EwsMailbox(settings(ews), **kw())
    got = list(box.fetch())
    assert [b"Message-ID: <reply1@contoso.local>" in m.raw for m in got] == [True, False]
    assert b"<reply2@contoso.local>" in got[1].raw
    find = ews.requests[1][2]
    assert '<t:DistinguishedFolderId Id="inbox">' in find
    assert '<t:FieldOrder Order="Ascending"><t:FieldURI FieldURI="item:DateTimeReceived"/>' in find
    get = ews.requests[2][2]
    assert '<t:FieldURI FieldURI="item:MimeContent"/>' in get and got[0].uid in get and got[1].uid in get
    assert [op for op, _, _ in ews.requests] == ["GetFolder", "FindItem", "GetItem"], "reading moves nothing"

    ews.queue("CreateFolder", "create_folder_processed.xml")
    ews.queue("MoveItem", "move_item.xml")
    box.settle(got[0].uid, "processed")
    ops = [op for op, _, _ in ews.requests]
    assert ops[3:] == ["CreateFolder", "MoveItem"]
    create = ews.requests[3][2]
    assert "<t:DisplayName>Processed</t:DisplayName>" in create and 'Id="msgfolderroot"' in create
    move = ews.requests[4][2]
    processed_id = re.search(r'<t:FolderId Id="([^"]+)"', (DATA / "create_folder_processed.xml").read_text())
    assert processed_id and f'<t:FolderId Id="{processed_id.group(1)}"' in move
    assert f'<t:ItemId Id="{got[0].uid}"' in move


def test_the_server_going_away_mid_fetch_is_a_clear_error(ews: FakeEws) -> None:
    ews.queue("GetFolder", "get_folder_root.xml")
    ews.queue("FindItem", "find_item_inbox.xml")  # GetItem then gets a 500
    from planwarden.mail.transport import MailboxUnavailable

    with pytest.raises(MailboxUnavailable, match="nothing was moved"):
        list(EwsMailbox(settings(ews), **kw()).fetch())
