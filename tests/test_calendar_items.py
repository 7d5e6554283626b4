"""Meetings as server calendar items: Microsoft Graph (recorded HTTP) and EWS (recorded SOAP)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from planwarden.calendar.events import PlannedEvent, plan_calendar
from planwarden.core.config import load_config

from test_calendar import BOARD, CONFERENCE, write_config  # rootdir-relative (pytest rootdir import mode)

DATA = Path(__file__).parent / "data" / "calendar_ews"


@pytest.fixture
def events(tmp_path: Path) -> dict[str, PlannedEvent]:
    config = load_config(write_config(tmp_path / "cfg", BOARD.replace(
        "board = true", 'board = true\ncancelled = [2023-04-19]\nmoved = { "2023-02-15" = 2023-02-16T10:00:00 }')
        + CONFERENCE))
    return {e.meeting_id: e for e in plan_calendar(config).events}


# --------------------------------------------------------------------------- Graph


class RecordedGraph:
    """Answers like Graph did: ids for created events, instances for a day, 202 for cancel."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        path = request.url.path.removeprefix("/v1.0")
        self.calls.append((request.method, path + (f"?{request.url.query.decode()}" if request.url.query else ""),
                           body))
        assert request.headers["Authorization"] == "Bearer token-123"
        if "/events/missing" in path:
            return httpx.Response(404, json={"error": {"code": "ErrorItemNotFound", "message": "Not found."}})
        if request.method == "POST" and path.endswith("/events"):
            return httpx.Response(201, json={"id": "AAMkAGI-board", "iCalUId": "040000008200E0", **body})
        if request.method == "GET" and path.endswith("/instances"):
            day = request.url.params["startDateTime"][:10]
            return httpx.Response(200, json={"value": [{"id": f"AAMkAGI-board-{day}", "isCancelled": False}]})
        if request.method == "PATCH":
            return httpx.Response(200, json={"id": path.rsplit("/", 1)[1]})
        if path.endswith("/cancel"):
            return httpx.Response(202)
        return httpx.Response(404, json={"error": {"code": "ErrorItemNotFound", "message": "Not found."}})


def test_graph_creates_the_series_idempotently_then_fixes_its_exceptions(events: dict[str, PlannedEvent]) -> None:
    from planwarden.calendar.graph_items import GraphCalendar

    graph = RecordedGraph()
    cal = GraphCalendar("rachel.hughes@example.org", lambda: "token-123",
                        client=httpx.Client(transport=httpx.MockTransport(graph)))
    item_id = cal.create(events["board"])
    assert item_id == "AAMkAGI-board"
    method, path, body = graph.calls[0]
    assert (method, path) == ("POST", "/users/rachel.hughes@example.org/events")
    assert body["transactionId"] == "board@example.org"  # a retried POST cannot create a second meeting
    assert body["start"] == {"dateTime": "2023-01-18T14:00:00", "timeZone": "GMT Standard Time"}
    assert body["recurrence"] == {
        "pattern": {"interval": 1, "type": "relativeMonthly", "daysOfWeek": ["wednesday"], "index": "third"},
        "range": {"startDate": "2023-01-18", "recurrenceTimeZone": "GMT Standard Time", "type": "numbered",
                  "numberOfOccurrences": 12}}
    assert [a["emailAddress"]["address"] for a in body["attendees"]] == ["ann@example.org", "bob@example.org"]
    rest = [(m, p) for m, p, _ in graph.calls[1:]]
    assert rest == [
        ("GET", "/users/rachel.hughes@example.org/events/AAMkAGI-board/instances"
                "?startDateTime=2023-04-19T00%3A00%3A00Z&endDateTime=2023-04-20T00%3A00%3A00Z"),
        ("POST", "/users/rachel.hughes@example.org/events/AAMkAGI-board-2023-04-19/cancel"),
        ("GET", "/users/rachel.hughes@example.org/events/AAMkAGI-board/instances"
                "?startDateTime=2023-02-15T00%3A00%3A00Z&endDateTime=2023-02-16T00%3A00%3A00Z"),
        ("PATCH", "/users/rachel.hughes@example.org/events/AAMkAGI-board-2023-02-15")]
    assert graph.calls[-1][2]["start"] == {"dateTime": "2023-02-16T10:00:00", "timeZone": "GMT Standard Time"}

    graph.calls.clear()
    cal.update(item_id, events["conference"])
    assert graph.calls[0][0] == "PATCH" and graph.calls[0][2]["isAllDay"] is True
    assert graph.calls[0][2]["end"]["dateTime"] == "2023-02-01T00:00:00"  # exclusive
    cal.cancel(item_id)
    assert graph.calls[-1][:2] == ("POST", "/users/rachel.hughes@example.org/events/AAMkAGI-board/cancel")


def test_graph_refusal_names_status_and_code_without_secrets(events: dict[str, PlannedEvent]) -> None:
    from planwarden.calendar.graph_items import GraphCalendar, GraphError

    cal = GraphCalendar("rachel.hughes@example.org", lambda: "token-123",
                        client=httpx.Client(transport=httpx.MockTransport(RecordedGraph())))
    with pytest.raises(GraphError, match="HTTP 404 ErrorItemNotFound") as err:
        cal.update("missing", events["conference"])
    assert "token-123" not in str(err.value)


# --------------------------------------------------------------------------- EWS


@pytest.fixture
def recorded_ews(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """exchangelib's HTTP adapter replaced by one answering from recorded SOAP responses."""
    import requests
    from exchangelib.protocol import BaseProtocol
    from requests.adapters import BaseAdapter

    sent: list[str] = []

    class Recorded(BaseAdapter):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__()

        def send(self, request: Any, **kwargs: Any) -> Any:
            body = request.body.decode() if isinstance(request.body, bytes) else request.body
            sent.append(body)
            service = re.search(r"<m:(\w+)", body).group(1)  # type: ignore[union-attr]
            folder = re.findall(r'DistinguishedFolderId Id="(\w+)"', body)
            name = {"CreateItem": "createitem_calendaritem.xml"}.get(
                service, "getfolder_calendar.xml" if folder == ["calendar"] else "getfolder_root.xml")
            response = requests.Response()
            response.status_code, response._content = 200, (DATA / name).read_bytes()
            response.headers["Content-Type"] = "text/xml; charset=utf-8"
            response.url, response.request = request.url, request
            return response

        def close(self) -> None:
            pass

    monkeypatch.setattr(BaseProtocol, "HTTP_ADAPTER_CLS", Recorded)
    yield sent


def test_ews_creates_a_calendar_item_that_exchange_sends(events: dict[str, PlannedEvent],
                                                         recorded_ews: list[str]) -> None:
    from exchangelib import DELEGATE, NTLM, Account, Build, Configuration, Credentials, Version

    from planwarden.calendar.ews_items import EwsCalendar

    config = Configuration(service_endpoint="https://exchange.example.org/EWS/Exchange.asmx",
                           credentials=Credentials("svc-planwarden", "not-a-real-password"), auth_type=NTLM,
                           version=Version(build=Build(15, 1, 2507, 6)))
    account = Account("rachel.hughes@example.org", config=config, autodiscover=False, access_type=DELEGATE)
    item_id = EwsCalendar(account).create(events["board"])
    assert item_id == "AAMkAD-board-item\nDwAAABYA-board-1"
    create = next(b for b in recorded_ews if "<m:CreateItem" in b)
    assert 'SendMeetingInvitations="SendToAllAndSaveCopy"' in create
    assert 'MessageDisposition="SaveOnly"' in create
    assert re.search(r'<m:SavedItemFolderId><t:DistinguishedFolderId Id="calendar"><t:Mailbox>'
                     r'<t:EmailAddress>rachel.hughes@example.org<', create)  # the organiser's calendar
    assert "<t:Subject>Improvement Board</t:Subject>" in create
    assert "<t:UID>board@example.org</t:UID>" in create
    assert "<t:RelativeMonthlyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Wednesday</t:DaysOfWeek>" \
           "<t:DayOfWeekIndex>Third</t:DayOfWeekIndex></t:RelativeMonthlyRecurrence>" in create
    assert "<t:NumberedRecurrence><t:StartDate>2023-01-18" in create and "<t:NumberOfOccurrences>12<" in create
    assert re.search(r"<t:RequiredAttendees><t:Attendee><t:Mailbox><t:Name>Ann Able</t:Name>"
                     r"<t:EmailAddress>ann@example.org</t:EmailAddress>", create)
    assert "<t:Start>2023-01-18T14:00:00+00:00</t:Start>" in create  # 14:00 GMT in January...
    assert '<t:StartTimeZone Id="GMT Standard Time"/>' in create  # ...and London's rules after that
    assert "Cancelled: Wed 19 Apr 2023" in create and "Moved: Wed 15 Feb 2023 to Thu 16 Feb 2023 10:00" in create
    assert "not-a-real-password" not in create


# --------------------------------------------------------------------------- calendar-items mode


class FakeItems:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def create(self, event: PlannedEvent) -> str:
        self.calls.append(("create", event.uid))
        return f"item-{event.meeting_id}"

    def update(self, item_id: str, event: PlannedEvent) -> None:
        self.calls.append(("update", item_id))

    def cancel(self, item_id: str) -> None:
        self.calls.append(("cancel", item_id))


def test_calendar_items_mode_creates_once_updates_in_place_and_cancels(tmp_path: Path, sqlite_url: str,
                                                                       clock: Any) -> None:
    from planwarden.calendar.server_items import push_items
    from planwarden.calendar.sync import observe, pending
    from planwarden.core.db import session_scope

    path = write_config(tmp_path / "cfg", BOARD + CONFERENCE)
    gov = path.parent / "governance.toml"
    gov.write_text(gov.read_text().replace('organiser = "sec"', 'organiser = "sec"\ninvites = "calendar-items"'))
    fake = FakeItems()

    def once() -> list[dict[str, Any]]:
        config = load_config(path)
        with session_scope(sqlite_url) as s:
            observed = observe(s, config)
            return push_items(s, config, observed, pending(observed, dt.date(2022, 12, 14)), fake)

    assert [d["action"] for d in once()] == ["create", "create"]
    assert once() == []
    gov.write_text(gov.read_text().replace("Committee Suite 1", "Room 2"))
    assert [(d["uid"], d["action"], d["sequence"]) for d in once()] == [("board@example.org", "update", 1)]
    gov.write_text(gov.read_text().split("[[meetings]]\nid = \"conference\"")[0])
    assert [(d["uid"], d["action"]) for d in once()] == [("conference@example.org", "cancel")]
    assert fake.calls == [("create", "board@example.org"), ("create", "conference@example.org"),
                          ("update", "item-board"), ("cancel", "item-conference")]
