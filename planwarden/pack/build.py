"""Building a pack: choose the moment, compute, render both documents, store the snapshot.

A pack is an immutable record of what a board was given. Its files are named by
their content hash and never overwritten; building the same pack again (same plan,
day and meeting) reuses the first build's cut-off moment, so it is byte-identical
and adds nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from planwarden.core import clock
from planwarden.core.config import Config
from planwarden.calendar.governance import Occurrence
from planwarden.pack.compute import PackData, PackRequest, compute, month_end, month_end_before
from planwarden.pack.models import PackSnapshot
from planwarden.pack.state import PackError, day_end, load_record

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass
class BuiltPack:
    snapshot: PackSnapshot
    data: PackData
    pdf: Path
    docx: Path
    new: bool  # False when an identical pack had been built before
    annex: Path | None = None  # the secretary's annex: data quality, held replies, addresses

    def as_json(self) -> dict[str, object]:
        s = self.snapshot
        return {"plan": s.plan_key, "as_of": s.as_of.isoformat(), "month": s.month, "meeting_id": s.meeting_id or None,
                "meeting_date": s.meeting_date.isoformat() if s.meeting_date else None, "sha256": s.sha256,
                "pdf": str(self.pdf), "docx": str(self.docx), "counts": s.counts, "new": self.new,
                "annex": str(self.annex) if self.annex else None, "public": s.files.get("edition") == "public",
                "cutoff": s.cutoff.isoformat(), "sent_at": s.sent_at.isoformat() if s.sent_at else None}


def parse_month(text: str) -> dt.date:
    """'2022-12' -> 31 December 2022: a month's pack shows the plan at the end of that month."""
    m = MONTH.match(text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise PackError(f"--month must look like 2022-12 (year-month), not {text!r}")
    return month_end(int(m.group(1)), int(m.group(2)))


def request_for(session: Session, config: Config, plan_key: str, as_of: dt.date, *,
                meeting: Occurrence | None = None, previous: dt.date | None = None,
                period_end: dt.date | None = None) -> PackRequest:
    """The cut-off for a pack as of a day: the end of that day, never later than now,
    and the same as an earlier build of the same pack (so a rebuild is identical)."""
    tz = config.plan(plan_key).timezone
    today = clock.today(tz)
    if as_of > today:
        raise PackError(f"cannot build a pack as of {as_of:%-d %B %Y}: that is after today ({today:%-d %B %Y})")
    meeting_id = meeting.meeting.id if meeting else ""
    earlier = session.scalar(select(PackSnapshot.cutoff).where(
        PackSnapshot.plan_key == plan_key, PackSnapshot.as_of == as_of, PackSnapshot.meeting_id == meeting_id)
        .order_by(PackSnapshot.id).limit(1))
    cutoff = earlier or min(day_end(as_of, tz), clock.now())
    return PackRequest(plan_key, as_of, cutoff, meeting, previous or month_end_before(as_of), period_end)


def build(session: Session, config: Config, request: PackRequest, public: bool = False) -> BuiltPack:
    """Compute, render and store in one go (the command line's way). ``public``: the
    version for publication (no names of people chased, no authors, no annex)."""
    data = prepare(session, config, request, public=public)
    pdf, docx, annex = render_all(data, annex=not public)
    return store(session, config, request, data, pdf, docx, annex=annex)


def prepare(session: Session, config: Config, request: PackRequest, public: bool = False) -> PackData:
    """Everything the documents say, read in one short transaction."""
    return compute(session, config, load_record(session, request.plan_key), request, public=public)


def render(data: PackData) -> tuple[bytes, bytes]:
    """Both documents (tagged PDF by Typst, DOCX); slow, so done outside any transaction."""
    pdf, docx, _ = render_all(data, annex=False)
    return pdf, docx


def render_all(data: PackData, annex: bool = True) -> tuple[bytes, bytes, bytes | None]:
    """The pack's PDF and DOCX, and the secretary's annex (``annex``), side by side.

    Typst lays out each PDF in its child process (``typeset.Worker``), waited on by a
    thread, while this thread draws the Word document's charts and writes it: the annex
    goes first (it has no charts), the pack as soon as its SVG charts are drawn. Typst's
    memory stays in the child, which is replaced once it holds too much.
    """
    from planwarden.pack.document import board_pack, secretary_annex
    from planwarden.pack.typeset import chart_svgs, drawn, typeset
    from planwarden.pack.word import render_docx

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="typst") as pool:
        extra = pool.submit(typeset, secretary_annex(data)) if annex else None
        pdf = pool.submit(typeset, board_pack(data), chart_svgs(drawn(data, ("svg",))))
        pngs = {name: f["png"] for name, f in drawn(data, ("png",)).items()}
        docx = render_docx(data, pngs)
        return pdf.result(), docx, extra.result() if extra else None


def render_annex(data: PackData) -> bytes:
    """The secretary's annex as a tagged PDF: never attached to the board's email."""
    from planwarden.pack.document import secretary_annex
    from planwarden.pack.typeset import typeset

    return typeset(secretary_annex(data))


def store(session: Session, config: Config, request: PackRequest, data: PackData, pdf: bytes,
          docx: bytes, annex: bytes | None = None) -> BuiltPack:
    """Write the content-named files and the snapshot row (or find the identical one).
    The annex is stored beside the pack but is not part of its hash: the board's
    documents are the pack."""
    digest = hashlib.sha256(hashlib.sha256(pdf).digest() + hashlib.sha256(docx).digest()).hexdigest()
    folder = config.data_dir / "packs" / request.plan_key / f"{request.as_of:%Y-%m}"
    stem = _stem(request, digest) + ("-public" if data.public else "")
    pdf_path, docx_path = _write(folder / f"{stem}.pdf", pdf), _write(folder / f"{stem}.docx", docx)
    annex_path = _write(folder / f"{stem}-secretary-annex.pdf", annex) if annex is not None else None
    files = {"pdf": str(pdf_path), "docx": str(docx_path), **({"annex": str(annex_path)} if annex_path else {}),
             **({"edition": "public"} if data.public else {})}
    meeting_id = request.meeting.meeting.id if request.meeting else ""
    existing = session.scalar(select(PackSnapshot).where(
        PackSnapshot.plan_key == request.plan_key, PackSnapshot.as_of == request.as_of,
        PackSnapshot.meeting_id == meeting_id, PackSnapshot.sha256 == digest))
    if existing is not None:
        return BuiltPack(existing, data, pdf_path, docx_path, new=False, annex=annex_path)
    snapshot = PackSnapshot(plan_key=request.plan_key, as_of=request.as_of, cutoff=request.cutoff,
                            month=f"{request.as_of:%Y-%m}", meeting_id=meeting_id,
                            meeting_date=request.meeting.day if request.meeting else None, sha256=digest,
                            files=files, counts=data.counts_json(),
                            created_at=clock.now())
    session.add(snapshot)
    session.flush()
    return BuiltPack(snapshot, data, pdf_path, docx_path, new=True, annex=annex_path)


def _stem(request: PackRequest, digest: str) -> str:
    meeting = f"-{request.meeting.meeting.id}" if request.meeting else ""
    return f"{request.plan_key}-board-pack-{request.as_of.isoformat()}{meeting}-{digest[:12]}"


def _write(path: Path, content: bytes) -> Path:
    """Content-addressed and immutable: an existing file with this name is this content."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + f".tmp{os.getpid()}")
    tmp.write_bytes(content)
    os.replace(tmp, path)
    return path


def export(built: BuiltPack, out: Path) -> tuple[Path, Path]:
    """Copies in ``out`` with readable names (no hash): what a person asked --out for."""
    out.mkdir(parents=True, exist_ok=True)
    name = _stem(PackRequest(built.snapshot.plan_key, built.snapshot.as_of, built.snapshot.cutoff), "x")[:-2]
    if built.snapshot.meeting_id:
        name += f"-{built.snapshot.meeting_id}"
    if built.data.public:
        name += "-public"
    pdf, docx = out / f"{name}.pdf", out / f"{name}.docx"
    shutil.copyfile(built.pdf, pdf)
    shutil.copyfile(built.docx, docx)
    return pdf, docx
