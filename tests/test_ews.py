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
                op = re.search(r"<s:Body><[am]:(\w+)", body)  # m: EWS; a: SOAP Autodiscover
                name = op.group(1) if op else "?"
                fake.requests.append((name, self.headers.get("Authorization", ""), body))
                queue = fake.responses.get(name) or []
                if not queue:
                    self.send_response(500)
                    self.end_headers()
                    return
                data = (DATA / queue.pop(0)).read_text().replace("{EWS_URL}", fake.endpoint).encode()
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


def _sync_state(name: str) -> str:
    found = re.search(r"<m:SyncState>([^<]+)</m:SyncState>", (DATA / name).read_text())
    assert found
    return found.group(1)


def _ops(fake: FakeEws) -> list[str]:
    return [op for op, _, _ in fake.requests]


def test_mailbox_reads_by_sync_state_and_resumes_where_the_last_commit_left_it(ews: FakeEws, db_url: str) -> None:
    from planwarden.core.db import session_factory

    sessions = session_factory(db_url)
    ews.queue("GetFolder", "get_folder_root.xml")  # exchangelib resolves the mailbox root once
    ews.queue("SyncFolderItems", "sync_items_page1.xml", "sync_items_page2.xml")
    ews.queue("GetItem", "get_item_mime.xml", "get_item_mime_3.xml")
    box = EwsMailbox(settings(ews), sessions=sessions, **kw())
    got = list(box.fetch())
    assert [m.raw.split(b"Message-ID: ")[1][:22] for m in got] == [
        b"<reply1@contoso.local>", b"<reply2@contoso.local>", b"<reply3@contoso.local>"]
    syncs = [body for op, _, body in ews.requests if op == "SyncFolderItems"]
    assert '<t:DistinguishedFolderId Id="inbox">' in syncs[0] and "<m:SyncState>" not in syncs[0]
    assert f"<m:SyncState>{_sync_state('sync_items_page1.xml')}</m:SyncState>" in syncs[1]
    assert "MoveItem" not in _ops(ews) and "FindItem" not in _ops(ews), "reading moves nothing"
    assert box.sync_state() is None, "nothing stored until the caller records what it read"
    with sessions.begin() as session:
        box.checkpoint(session)
    # The next run (a new process) starts from the stored state: only what is new comes back.
    ews.queue("GetFolder", "get_folder_root.xml")
    ews.queue("SyncFolderItems", "sync_items_nothing_new.xml")
    later = EwsMailbox(settings(ews), sessions=sessions, **kw())
    assert list(later.fetch()) == []
    last = [body for op, _, body in ews.requests if op == "SyncFolderItems"][-1]
    assert f"<m:SyncState>{_sync_state('sync_items_page2.xml')}</m:SyncState>" in last


def test_an_invalid_sync_state_reads_the_inbox_again(ews: FakeEws, db_url: str) -> None:
    from planwarden.core.db import session_factory
    from planwarden.mail.models import store_state

    sessions = session_factory(db_url)
    with sessions.begin() as session:
        store_state(session, "ews-sync:plan@contoso.local:inbox", "H4sIAAAAAAAEAO29B2AcSZYlJi9tynt-expired")
    ews.queue("GetFolder", "get_folder_root.xml")
    ews.queue("SyncFolderItems", "sync_items_invalid_state.xml", "sync_items_page2.xml")
    ews.queue("GetItem", "get_item_mime_3.xml")
    box = EwsMailbox(settings(ews), sessions=sessions, **kw())
    got = list(box.fetch())
    assert box.resynced and len(got) == 1 and b"<reply3@contoso.local>" in got[0].raw
    syncs = [body for op, _, body in ews.requests if op == "SyncFolderItems"]
    assert "<m:SyncState>" in syncs[0] and "<m:SyncState>" not in syncs[1], "the second asks from scratch"


def test_settle_reuses_an_existing_processed_folder(ews: FakeEws) -> None:
    ews.queue("GetFolder", "get_folder_root.xml")
    ews.queue("FindFolder", "find_folder_processed.xml")
    ews.queue("MoveItem", "move_item.xml", "move_item.xml")
    box = EwsMailbox(settings(ews), **kw())
    box.settle("AAMkAGE1-item-1", "processed")
    box.settle("AAMkAGE1-item-2", "processed")
    assert [op for op in _ops(ews) if op != "GetFolder"] == ["FindFolder", "MoveItem", "MoveItem"], \
        "found once, never created"
    find = next(body for op, _, body in ews.requests if op == "FindFolder")
    assert 'Traversal="Shallow"' in find and 'Id="msgfolderroot"' in find and 'Value="Processed"' in find
    processed_id = re.search(r'<t:FolderId Id="([^"]+)"', (DATA / "find_folder_processed.xml").read_text())
    move = next(body for op, _, body in ews.requests if op == "MoveItem")
    assert processed_id and f'<t:FolderId Id="{processed_id.group(1)}"' in move


def test_settle_creates_a_missing_folder_once(ews: FakeEws) -> None:
    ews.queue("GetFolder", "get_folder_root.xml")
    ews.queue("FindFolder", "find_folder_none.xml")
    ews.queue("CreateFolder", "create_folder_processed.xml")
    ews.queue("MoveItem", "move_item.xml", "move_item.xml")
    box = EwsMailbox(settings(ews), **kw())
    box.settle("AAMkAGE1-item-1", "processed")
    box.settle("AAMkAGE1-item-2", "processed")
    assert [op for op in _ops(ews) if op != "GetFolder"] == ["FindFolder", "CreateFolder", "MoveItem", "MoveItem"]
    create = next(body for op, _, body in ews.requests if op == "CreateFolder")
    assert "<t:DisplayName>Processed</t:DisplayName>" in create and 'Id="msgfolderroot"' in create


def test_auth_type_and_version_come_from_the_settings(ews: FakeEws) -> None:
    configured = settings(ews).model_copy(update={"auth_type": "basic", "version": "Exchange2016"})
    ews.queue("CreateItem", "create_item_sent.xml")
    assert EwsTransport(configured).send([_mail(1)])[0].outcome == "sent"
    assert _ops(ews) == ["CreateItem"], "no version probe, no failed login to guess the auth type"
    assert ews.requests[0][1].startswith("Basic ")


def test_autodiscover_finds_the_ews_endpoint_from_the_mailbox_address(ews: FakeEws, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``service_endpoint`` or ``server``: exchangelib's autodiscover asks the domain's
    Autodiscover service (SOAP GetUserSettings) for the EWS URL, then sends there. DNS and
    port 443 cannot be reached here, so the domain's Autodiscover endpoint is put in
    exchangelib's own autodiscover cache (where a first successful discovery would leave
    it), pointing at the loopback server; everything after that is the real path."""
    from exchangelib import BASIC, Configuration, Credentials
    from exchangelib.autodiscover import cache
    from exchangelib.autodiscover.protocol import AutodiscoverProtocol

    monkeypatch.setattr(cache, "AUTODISCOVER_PERSISTENT_STORAGE", tmp_path / "autodiscover.cache")
    autodiscover = f"http://127.0.0.1:{ews.server.server_port}/autodiscover/autodiscover.svc"
    seed = Credentials("seed", "seed")  # only the endpoint and auth type are kept, as exchangelib persists them
    cache.autodiscover_cache[("contoso.local", seed)] = AutodiscoverProtocol(
        config=Configuration(service_endpoint=autodiscover, credentials=seed, auth_type=BASIC))
    try:
        ews.queue("GetUserSettingsRequestMessage", "autodiscover_get_user_settings.xml")
        ews.queue("CreateItem", "create_item_sent.xml")
        found = EwsSettings(primary_smtp_address="plan@contoso.local", username_env="T_EWS_USER",
                            password_env="T_EWS_PASS", auth_type="basic", version="Exchange2016")
        assert EwsTransport(found).send([_mail(1)])[0].outcome == "sent"
    finally:
        cache.autodiscover_cache._protocols.clear()
    assert _ops(ews) == ["GetUserSettingsRequestMessage", "CreateItem"]
    (_, ad_auth, ad_body), (_, ews_auth, _) = ews.requests
    assert "<a:Mailbox>plan@contoso.local</a:Mailbox>" in ad_body and "ExternalEwsUrl" in ad_body
    assert ad_auth == ews_auth == "Basic " + base64.b64encode(b"CONTOSO\\svc-planwarden:pa55word").decode()


def test_bad_ews_settings_name_the_key(tmp_path: Path) -> None:
    from planwarden.core.config import ConfigError, load_config
    from test_config import MAIN, _write

    for key, value, says in (("version", '"Exchange2003"', "15.1.2507.6"), ("auth_type", '"kerberos"', "NTLM")):
        path = _write(tmp_path, MAIN + f"\n[mail.ews]\n{key} = {value}\n")
        with pytest.raises(ConfigError) as err:
            load_config(path)
        assert err.value.key == f"mail.ews.{key}" and says in str(err.value)
    assert load_config(_write(tmp_path, MAIN + '\n[mail.ews]\nversion = "15.1.2507.6"\n')).mail.ews.version


def test_the_server_going_away_mid_fetch_is_a_clear_error(ews: FakeEws) -> None:
    ews.queue("GetFolder", "get_folder_root.xml")
    ews.queue("SyncFolderItems", "sync_items_page1.xml")  # GetItem then gets a 500
    from planwarden.mail.transport import MailboxUnavailable

    with pytest.raises(MailboxUnavailable, match="nothing was moved"):
        list(EwsMailbox(settings(ews), **kw()).fetch())
