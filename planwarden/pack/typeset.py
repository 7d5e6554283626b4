"""A pack document as a tagged PDF, laid out by Typst (``templates/pack/pack.typ``).

Typst was chosen by measurement (docs/benchmarks.md): it writes the tags itself
(PDF/UA-1) and lays out the 2,000-action pack several times faster than WeasyPrint. A
pack of ordinary size is one Typst document: the contents, page numbers, links and
bookmarks are Typst's own. Typst's memory grows with what one compile lays out, so a
big pack is laid out in pieces and joined (``in_pieces``; volumes.py, pdfjoin.py). The
document's date is the pack's cut-off, never the clock, so a rebuilt pack is
byte-identical (same Typst, same fonts).
"""

from __future__ import annotations

import atexit
import dataclasses
import datetime as dt
import json
import queue
import struct
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import planwarden
from planwarden.pack import charts, volumes
from planwarden.pack.compute import PackData
from planwarden.pack.document import Document

TEMPLATE = planwarden.TEMPLATES / "pack" / "pack.typ"
CHILD = Path(__file__).with_name("typst_child.py")  # Typst's compiles, in a process of its own
KEEP_MB = 400  # a Typst child holding more after a compile is replaced (its memory goes back)
FRESH_BYTES = 1_000_000  # a request this big goes to a fresh child: its peak does not add to a warm cache
AT_ONCE = 1  # a big pack's pieces laid out side by side: two were slower here (2 cores: Typst and the join share them)
STANDARDS = ["ua-1"]  # PDF/UA-1: Typst refuses to write it without a title, alt text, a language


class TypesetError(RuntimeError):
    """Typst refused the document (a template mistake, never the user's data)."""


def drawn(pack: PackData, fmts: tuple[str, ...] = ("svg", "png")) -> dict[str, dict[str, bytes]]:
    """Each chart drawn in ``fmts``, SVG for the PDF and PNG for Word: {"section": {"svg": ..., "png": ...}, ...}."""
    return {"section": charts.section_charts(pack.sections, fmts),
            "trend": charts.trend_charts(pack.trend, fmts)}


def chart_svgs(figures: dict[str, dict[str, bytes]]) -> dict[str, str]:
    """The charts as SVG text for Typst's sys.inputs (strings only)."""
    return {f"chart-{name}": formats["svg"].decode("utf-8") for name, formats in figures.items()}


def payload(doc: Document, mode: str = "whole", chapters: list[dict[str, Any]] | None = None,
            **extra: Any) -> str:
    """The document as the JSON the template reads: all of it (``mode`` "whole"), or one
    piece of a big pack (volumes.py): "body" with ``chapters``, "front", "running"."""
    moment = doc.moment.astimezone(dt.timezone.utc)
    if chapters is None:
        chapters = [dataclasses.asdict(c) for c in doc.chapters] if mode == "whole" else []
    data = {"mode": mode, "title": doc.title, "header": doc.header, "footer": doc.footer, "cover": doc.cover,
            "author": doc.author, "subject": doc.subject, "charts": doc.charts,
            "date": [moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second],
            "chapters": chapters, **extra}
    return json.dumps(data, ensure_ascii=False, default=str)


class Worker:
    """One warm Typst child (``typst_child``), one compile at a time, replaced once it
    holds more than ``limit_mb`` (Typst's caches then go back to the system). With
    ``spare``, the next child is started while this one works (a big pack's pieces each
    take a fresh child: its start is then off the critical path)."""

    def __init__(self, limit_mb: int = KEEP_MB, spare: bool = False) -> None:
        self.limit_kb = limit_mb * 1024
        self.lock = threading.Lock()
        self.proc: subprocess.Popen[bytes] | None = None
        self.spare: subprocess.Popen[bytes] | None = None
        self.keeps_spare = spare

    def compile(self, request: bytes, fresh: bool = False) -> tuple[int, bytes]:
        """(0, the PDF) or (1, Typst's diagnostic); a child that died is replaced next time.
        ``fresh``: in a new child, ended afterwards (a piece of a big pack: its memory goes
        back before the next piece)."""
        with self.lock:
            if fresh or len(request) > FRESH_BYTES:
                self.close()
            proc = self.proc if self.proc and self.proc.poll() is None else self._start()
            assert proc.stdin is not None and proc.stdout is not None
            try:
                proc.stdin.write(struct.pack(">Q", len(request)) + request)
                proc.stdin.flush()
                status = proc.stdout.read(1)
                body = proc.stdout.read(struct.unpack(">Q", proc.stdout.read(8))[0])
                kept = struct.unpack(">Q", proc.stdout.read(8))[0]
            except (OSError, struct.error) as exc:  # the child died (killed, out of memory)
                self.close()
                return 1, f"the Typst process ended: {exc}".encode()
            if fresh or kept > self.limit_kb:
                self.close()
            return status[0], body

    def _start(self) -> subprocess.Popen[bytes]:
        spare, self.spare = self.spare, None
        if spare is not None and spare.poll() is not None:  # a spare that died: reap it
            _end(spare)
            spare = None
        self.proc = spare or _spawn()
        if self.keeps_spare:
            self.spare = _spawn()
        return self.proc

    def close(self) -> None:
        """End the child (its memory goes back); the spare, if any, stays for the next."""
        if self.proc is not None:
            _end(self.proc)
            self.proc = None

    def shutdown(self) -> None:
        """End the child and the spare."""
        self.close()
        if self.spare is not None:
            _end(self.spare)
            self.spare = None


def _spawn() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(CHILD)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def _end(proc: subprocess.Popen[bytes]) -> None:
    """Close the child's input (it leaves when it reads the end) and wait for it."""
    if proc.stdin:
        proc.stdin.close()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:  # a child stuck in a compile: it has nothing we want
        proc.kill()
        proc.wait()


WORKER = Worker()
atexit.register(WORKER.shutdown)


def request(doc: Document, svgs: dict[str, str] | None = None, mode: str = "whole", **extra: Any) -> bytes:
    """What the Typst child is asked to compile: the template, the document (or one piece
    of it: ``mode`` and ``extra``, see ``payload``), the charts."""
    return json.dumps({"template": str(TEMPLATE), "root": str(TEMPLATE.parent), "standards": STANDARDS,
                       "inputs": {"doc": payload(doc, mode, **extra), **(svgs or {})}},
                      ensure_ascii=False).encode("utf-8")


def typeset(doc: Document, svgs: dict[str, str] | None = None, budget: int | None = None) -> bytes:
    """Compile ``doc`` to a tagged PDF in the Typst child (``Worker``): Typst's caches
    live there, bounded, not in this process. A document bigger than ``budget`` is laid
    out in pieces and joined (``in_pieces``), so Typst's memory stays bounded too."""
    budget = budget or volumes.BUDGET
    if volumes.needs_parts(doc, budget):
        return in_pieces(doc, svgs, budget)
    return without_suspects(_compiled(WORKER, doc, request(doc, svgs)))


TYPST_MARK_INFO = b"/MarkInfo<</Marked true/Suspects false>>"


def without_suspects(pdf: bytes) -> bytes:
    """Typst's catalog says ``/Suspects false``, which is the default; poppler (pdfinfo,
    pdftotext up to at least 22.12, what Debian 12 ships) prints "Syntax Error: Suspects
    object is wrong type" for it, which a secretary or an auditor checking the pack with
    pdfinfo would take for a damaged file. The entry is dropped, padded to the same
    length so every cross-reference offset stays right."""
    plain = b"/MarkInfo<</Marked true>>"
    return pdf.replace(TYPST_MARK_INFO, plain + b" " * (len(TYPST_MARK_INFO) - len(plain)), 1)


def _compiled(worker: Worker, doc: Document, req: bytes, fresh: bool = False) -> bytes:
    status, body = worker.compile(req, fresh=fresh)
    if status != 0:
        reason = body.decode("utf-8", "replace").strip()
        raise TypesetError(f"Typst could not lay out {doc.title!r}: {reason}")
    return body


def in_pieces(doc: Document, svgs: dict[str, str] | None, budget: int) -> bytes:
    """The bodies laid out ``AT_ONCE`` at a time, each in a fresh Typst process, and
    joined into the document in order as they come; then the front and the running heads."""
    from planwarden.pack.pdfjoin import Joiner

    workers: queue.SimpleQueue[Worker] = queue.SimpleQueue()
    for _ in range(AT_ONCE):
        workers.put(Worker(spare=True))

    def lay_out(req: bytes, fresh: bool = True) -> bytes:
        worker = workers.get()
        try:
            return _compiled(worker, doc, req, fresh=fresh)
        finally:
            workers.put(worker)

    joiner = Joiner()

    def ends() -> tuple[bytes, bytes]:
        """The front (its contents from where the headings landed) and the running heads."""
        def front(pages: int) -> tuple[bytes, int]:
            entries = volumes.contents([(h.level, h.title, h.page) for h in joiner.headings], pages)
            pdf = lay_out(request(doc, None, "front", contents=entries), fresh=False)
            return pdf, page_count(pdf)

        first, pages = volumes.front_pages(front, guess=2)
        return first, lay_out(request(doc, None, "running", pages=pages + joiner.body_pages), fresh=False)

    try:
        with ThreadPoolExecutor(max_workers=AT_ONCE, thread_name_prefix="typst-piece") as pool:
            parts = volumes.bodies(doc.chapters, budget)
            laid = [pool.submit(lay_out, request(doc, svgs, "body", chapters=part)) for part in parts]
            try:
                for part, future in zip(parts, laid):
                    body = future.result()
                    joiner.note(body, volumes.headings(part))
                    last = pool.submit(ends) if future is laid[-1] else None  # while the last body is copied in
                    joiner.add_body(body)
                assert last is not None
                first, running = last.result()
            except BaseException:  # a piece Typst refused: the others are not wanted
                for future in laid:
                    future.cancel()
                raise
        return joiner.finish(first, running)
    finally:
        while not workers.empty():
            workers.get().shutdown()


def page_count(pdf: bytes) -> int:
    """How many pages a PDF has (pikepdf reads only the page tree)."""
    import io

    import pikepdf

    with pikepdf.Pdf.open(io.BytesIO(pdf)) as doc:
        return len(doc.pages)
