"""Sending a built pack to the board secretary (and configured recipients).

The email is queued through the outbox in the caller's transaction, with a dedupe
key per plan and meeting occurrence: however often the daily flow runs, a meeting's
pack is sent once. When the files are too large to attach, the email says where the
stored pack is instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from planwarden.core import clock
from planwarden.core.config import Config
from planwarden.plan.directory import Directory
from planwarden.mail.compose import Attachment, Draft
from planwarden.mail.outbox import already_queued, enqueue
from planwarden.pack.build import BuiltPack
from planwarden.pack.render import long_date
from planwarden.pack.state import PackError

PDF = ("application", "pdf")
DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


@dataclass(frozen=True)
class Sent:
    dedupe_key: str
    queued: bool  # False: already queued by an earlier run
    to: tuple[str, ...]
    attached: bool
    message_id: str | None = None


def recipients(config: Config, plan_key: str) -> list[str]:
    """The secretary first, then the configured extra addresses, without repeats."""
    plan_cfg = config.plan(plan_key)
    found: list[str] = []
    if plan_cfg.secretary:
        person = Directory(config.directory).person(plan_cfg.secretary)
        if person is not None:
            found.append(person.email)
    for address in plan_cfg.pack.recipients:
        if address.lower() not in {f.lower() for f in found}:
            found.append(address)
    return found


def dedupe_key(built: BuiltPack, occurrence_key: str | None = None) -> str:
    """One pack email per plan and meeting occurrence (or per on-demand content)."""
    s = built.snapshot
    return f"pack:{s.plan_key}:{occurrence_key}" if occurrence_key else f"pack:{s.plan_key}:{s.as_of}:{s.sha256[:16]}"


def send(session: Session, config: Config, built: BuiltPack, occurrence_key: str | None = None) -> Sent:
    """Queue the pack email (idempotent); records ``sent_at`` on the snapshot."""
    key = dedupe_key(built, occurrence_key)
    to = recipients(config, built.snapshot.plan_key)
    if not to:
        raise PackError(f"plan {built.snapshot.plan_key!r} has no secretary or pack recipients configured: "
                        "set plans.secretary or plans.pack.recipients")
    if already_queued(session, key):
        return Sent(key, False, tuple(to), attached=False)
    draft, attached = _draft(config, built, to)
    row = enqueue(session, draft, kind="pack", dedupe_key=key, plan_key=built.snapshot.plan_key,
                  items=[{"kind": "pack", "snapshot_id": built.snapshot.id, "sha256": built.snapshot.sha256}])
    built.snapshot.sent_at = built.snapshot.sent_at or clock.now()
    return Sent(key, True, tuple(to), attached, row.message_id)


def _draft(config: Config, built: BuiltPack, to: list[str]) -> tuple[Draft, bool]:
    plan_cfg = config.plan(built.snapshot.plan_key)
    limit = int(plan_cfg.pack.max_attachment_mb * 1024 * 1024)
    files = [(built.pdf, PDF), (built.docx, DOCX)]
    size = sum(p.stat().st_size for p, _ in files)
    attached = size <= limit
    email = _render(built, attached, size)
    draft = Draft(sender=config.mail.from_address, sender_name=config.mail.from_name, to=to, subject=email.subject,
                  text=email.text, html=email.html, reply_to=plan_cfg.mailbox)
    if attached:
        draft.attachments = [Attachment(p.name, p.read_bytes(), *kind) for p, kind in files]
    return draft, attached


def context(built: BuiltPack, attached: bool, size: int) -> dict[str, Any]:
    """What the email templates see: counts, exceptions and where the files are."""
    d = built.data
    e = d.exceptions
    return {
        "plan": {"key": d.plan_key, "title": d.title, "partnership": d.partnership},
        "as_of": long_date(d.as_of), "meeting": d.meeting_title, "meeting_when": d.meeting_when,
        "counts": d.counts.as_json(),
        "exceptions": [{"label": label, "actions": [{"ref": f.action.ref, "note": f.note} for f in items]}
                       for label, items in (("Overdue", e.overdue), ("Red", e.red),
                                            (f"No update for {d.stale_days} days", e.stale),
                                            ("New due dates awaiting the board", e.requested_dates)) if items],
        "quarantined": len(e.quarantined), "due_next": len(d.due_next),
        "changes": None if d.changes.since is None else {
            "since": long_date(d.changes.since), "turned_green": len(d.changes.turned_green),
            "turned_red": len(d.changes.turned_red), "newly_overdue": len(d.changes.newly_overdue),
            "new_updates": len(d.changes.new_updates)},
        "attached": attached, "size_mb": f"{size / 1024 / 1024:.1f}",
        "pdf_path": str(built.pdf), "docx_path": str(built.docx), "sha256": built.snapshot.sha256,
    }


def _render(built: BuiltPack, attached: bool, size: int) -> Any:
    from planwarden.mail.emails import render

    return render("pack", context(built, attached, size))
