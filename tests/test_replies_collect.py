"""Collecting from a mailbox: settle after commit, server loss, a kill between commit and move."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from sqlalchemy import func, select

from planwarden.mail.outbox_folder import FolderMailbox
from planwarden.mail.transport import Incoming
from planwarden.plan.models import ProgressUpdate
from planwarden.replies.collect import collect
from planwarden.replies.models import InboundMessage
from replies_support import Env, eml, make_env

REPO = Path(__file__).resolve().parents[1]
FILES = ["outlook_desktop.eml", "stranger.eml", "auto_submitted.eml", "digest_two.eml", "gmail.eml"]


@pytest.fixture
def env(jtai_env: str, clock: object) -> Env:
    return make_env()


def fill(folder: Path, names: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        (folder / f"{i:02d}-{name}").write_bytes(eml(name))
        os.utime(folder / f"{i:02d}-{name}", (1_000_000 + i, 1_000_000 + i))


def count(env: Env, model: type) -> int:
    with env.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_folder_mailbox_settles_by_outcome(env: Env, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    fill(inbox, FILES)
    report = collect(env.sessions, env.config, FolderMailbox(inbox))
    assert [r.outcome for r in report.results] == ["applied", "quarantined", "ignored", "applied", "applied"]
    assert report.error is None and not list(inbox.glob("*.eml"))
    assert sorted(p.name for p in (inbox / "quarantine").iterdir()) == ["01-stranger.eml"]
    assert len(list((inbox / "processed").iterdir())) == 4
    again = collect(env.sessions, env.config, FolderMailbox(inbox))
    assert again.results == []


class FlakyMailbox:
    """Yields some messages, then the server goes away (as IMAP does mid-batch)."""

    name = "imap"

    def __init__(self, raws: list[bytes], fail_after: int | None) -> None:
        self.raws, self.fail_after = dict(enumerate(raws)), fail_after
        self.settled: dict[str, str] = {}

    def fetch(self, limit: int = 500) -> Iterator[Incoming]:
        for n, (uid, raw) in enumerate(sorted(self.raws.items())):
            if self.fail_after is not None and n == self.fail_after:
                raise ConnectionResetError("connection reset by peer")
            yield Incoming(str(uid), raw)

    def settle(self, uid: str, outcome: Literal["processed", "quarantine"]) -> None:
        self.settled[uid] = outcome
        del self.raws[int(uid)]


def test_server_going_away_mid_batch_keeps_what_was_committed(env: Env) -> None:
    box = FlakyMailbox([eml(n) for n in FILES], fail_after=2)
    report = collect(env.sessions, env.config, box)
    assert len(report.results) == 2 and "failed mid-batch" in (report.error or "")
    assert box.settled == {"0": "processed", "1": "quarantine"}
    box.fail_after = None  # the server is back: the rest is read next run, nothing twice
    report = collect(env.sessions, env.config, box)
    assert [r.outcome for r in report.results] == ["ignored", "applied", "applied"] and not box.raws
    assert count(env, InboundMessage) == 5 and count(env, ProgressUpdate) == 4


def test_real_imap_server_killed_mid_batch(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    from planwarden.mail.imap import ImapMailbox
    from test_imap import Pymap, settings

    monkeypatch.setenv("T_IMAP_USER", "replies")
    monkeypatch.setenv("T_IMAP_PASS", "pw")
    server = Pymap()
    try:
        with server.client() as c:
            for name in FILES:
                assert c.append("INBOX", None, None, eml(name).replace(b"\n", b"\r\n"))[0] == "OK"
        box = ImapMailbox(settings(server))
        real_settle = box.settle
        done = []

        def settle_then_die(uid: str, outcome: Literal["processed", "quarantine"]) -> None:
            real_settle(uid, outcome)
            done.append(uid)
            if len(done) == 2:
                server.stop()
        box.settle = settle_then_die  # type: ignore[method-assign]
        report = collect(env.sessions, env.config, box)
    finally:
        server.stop()
    # The batch was committed before the first move: all five are recorded, two were moved,
    # the other three stay in the mailbox and come back next run as duplicates (settled then).
    assert len(done) == 2 and report.error is not None and "could not move" in report.error
    assert [r.outcome for r in report.results] == ["applied", "quarantined", "ignored", "applied", "applied"]
    assert len(report.unsettled) == 3
    assert count(env, ProgressUpdate) == 4 and count(env, InboundMessage) == 5


def test_killed_between_commit_and_move_nothing_lost_nothing_twice(env: Env, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    fill(inbox, ["outlook_desktop.eml", "digest_two.eml"])
    script = textwrap.dedent(f"""
        import os, planwarden.importing
        from planwarden.core.config import load_config
        from planwarden.core.db import session_factory
        from planwarden.mail.outbox_folder import FolderMailbox
        from planwarden.replies.collect import collect
        from planwarden.core import clock
        import datetime as dt
        clock.set_clock(clock.FixedClock(dt.datetime(2022, 12, 14, 9, tzinfo=dt.timezone.utc)))
        class Dies(FolderMailbox):
            def settle(self, uid, outcome):
                os._exit(137)  # killed after the commit, before the move
        config = load_config()
        collect(session_factory(config.database_url), config, Dies({str(inbox)!r}))
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=os.environ.copy(), timeout=120)
    assert proc.returncode == 137
    assert len(list(inbox.glob("*.eml"))) == 2, "nothing moved"
    assert count(env, ProgressUpdate) == 3, "the batch was committed before the kill"
    report = collect(env.sessions, env.config, FolderMailbox(inbox))
    assert [(r.outcome, r.reason.split(":")[0]) for r in report.results] == [("ignored", "duplicate")] * 2
    assert not list(inbox.glob("*.eml")) and len(list((inbox / "processed").iterdir())) == 2
    assert count(env, ProgressUpdate) == 3 and len(env.outbox("confirmation")) == 2


def test_two_runs_at_once_apply_once(env: Env, tmp_path: Path) -> None:
    import threading

    raws = [eml("outlook_desktop.eml")] * 2
    results: list[str] = []

    def run(raw: bytes) -> None:
        results.append(env.ingest(raw).outcome)
    threads = [threading.Thread(target=run, args=(r,)) for r in raws]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["applied", "ignored"] and count(env, ProgressUpdate) == 1
