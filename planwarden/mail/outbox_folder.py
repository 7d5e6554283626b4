"""The embedded default transport: messages as ``.eml`` files in a folder, replies read
from another folder. For demos and air-gapped trials; any mail client opens the files.

Files are written atomically (a temporary name in the same folder, then a rename), so a
reader never sees half a message and a killed run leaves no partial ``.eml``.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Literal

from planwarden.core import clock
from planwarden.mail.transport import Delivery, Incoming, OutgoingMail, TransportUnavailable

OnResult = Callable[[int, Delivery], None]


def _slug(raw: bytes, width: int = 60) -> str:
    """A file-name-safe hint of the subject, so a folder listing reads like an inbox."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    subject = email.message_from_bytes(head + b"\r\n\r\n", policy=email.policy.default).get("Subject", "")
    ascii_ = unicodedata.normalize("NFKD", str(subject)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")
    return slug[:width].rstrip("-") or "message"


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


class OutboxFolderTransport:
    """Each message becomes ``<folder>/<YYYYMMDD-HHMMSS>-<outbox_id>-<slug>.eml``."""

    name = "outbox"

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)

    def send(self, batch: Sequence[OutgoingMail], on_result: OnResult | None = None) -> list[Delivery]:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TransportUnavailable(f"cannot create the outbox folder {self.folder}: {exc.strerror}") from None
        results = []
        for mail in batch:
            delivery = self._write(mail)
            results.append(delivery)
            if on_result:
                on_result(mail.outbox_id, delivery)
        return results

    def _write(self, mail: OutgoingMail) -> Delivery:
        stamp = clock.now().strftime("%Y%m%d-%H%M%S")
        path = self.folder / f"{stamp}-{mail.outbox_id}-{_slug(mail.raw)}.eml"
        try:
            write_atomic(path, mail.raw)
        except OSError as exc:  # disk full, permissions: may clear up, so try again later
            return Delivery("retry", f"cannot write {path.name}: {exc.strerror}")
        return Delivery("sent", location=str(path))


class FolderMailbox:
    """Replies as ``*.eml`` files; settled ones move to ``processed/`` or ``quarantine/``."""

    name = "outbox"

    def __init__(self, inbox_dir: Path | str) -> None:
        self.inbox = Path(inbox_dir)

    def fetch(self, limit: int = 500) -> Iterator[Incoming]:
        if not self.inbox.is_dir():
            return
        files = sorted((p for p in self.inbox.glob("*.eml") if p.is_file()),
                       key=lambda p: (p.stat().st_mtime, p.name))
        for path in files[:limit]:
            yield Incoming(uid=path.name, raw=path.read_bytes())

    def settle(self, uid: str, outcome: Literal["processed", "quarantine"]) -> None:
        if outcome not in ("processed", "quarantine") or Path(uid).name != uid:
            raise ValueError(f"bad settle request: {uid!r} -> {outcome!r}")
        target_dir = self.inbox / outcome
        target_dir.mkdir(parents=True, exist_ok=True)
        source, target = self.inbox / uid, target_dir / uid
        if not source.exists() and target.exists():
            return  # settled already (a rerun after a crash between commit and move)
        os.replace(source, target)
