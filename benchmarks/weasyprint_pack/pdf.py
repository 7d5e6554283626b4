"""Laying out parts with WeasyPrint and joining them into one PDF with pikepdf.

A part is laid out without headers, footers or page numbers: until every part is laid
out nobody knows on which page a part starts or how many pages there are. The joined
document then gets, on every page but the cover, the same header-and-footer page
(``furniture.html``, drawn once and reused) and its own "Page N of M" strip
(``numbers.html``). Both are WeasyPrint output in the pack's own fonts; the contents'
links and the bookmarks are re-pointed at the joined pages. Everything here is
deterministic: the same parts give the same bytes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pikepdf and WeasyPrint load only when a pack is rendered
    from pikepdf import Object, Page, Pdf, Rectangle

TEMPLATES = Path(__file__).resolve().parent / "templates"
PX_TO_PT = 0.75  # WeasyPrint measures in CSS pixels (1/96 in); PDF in points (1/72 in)
MM_TO_PT = 72 / 25.4
LINK_SCHEME = "pw-anchor:"  # the contents' links, resolved once the parts are joined
NUMBER_STRIP_MM = (70.0, 6.0)  # width, height of one "Page N of M" strip
NUMBER_RIGHT_MM, NUMBER_MIDDLE_MM = 16.0, 10.0  # its right edge and centre line, from the page's bottom right
_ENV_LOCK = threading.Lock()


@dataclass(frozen=True)
class Mark:
    """A place in a document: page index and PDF coordinates of its top left."""

    page: int
    left: float
    top: float


@dataclass(frozen=True)
class Bookmark:
    level: int
    label: str
    mark: Mark


@dataclass(frozen=True)
class LaidOut:
    """One part as a PDF, with what joining needs to know about it."""

    pdf: bytes
    pages: int
    anchors: Mapping[str, Mark]
    bookmarks: tuple[Bookmark, ...]


@contextlib.contextmanager
def source_date(moment: dt.datetime) -> Iterator[None]:
    """SOURCE_DATE_EPOCH for the duration: fontTools stamps subset fonts with it
    (otherwise with the current time, and no two PDFs would be equal)."""
    with _ENV_LOCK:
        previous = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("SOURCE_DATE_EPOCH", None)
            else:
                os.environ["SOURCE_DATE_EPOCH"] = previous


def lay_out(html: str, moment: dt.datetime, anchors: frozenset[str] = frozenset()) -> LaidOut:
    """WeasyPrint, in whichever process runs it; ``anchors`` are the ids to report."""
    from weasyprint import HTML

    with source_date(moment):
        document = HTML(string=html, base_url=str(TEMPLATES / "pack")).render()
        marks: dict[str, Mark] = {}
        bookmarks: list[Bookmark] = []
        for index, page in enumerate(document.pages):
            for name, (x, y, *_rest) in page.anchors.items():
                if name in anchors and name not in marks:
                    marks[name] = _mark(index, page.height, x, y)
            bookmarks.extend(Bookmark(level, label, _mark(index, page.height, x, y))
                             for level, label, (x, y), _state in page.bookmarks)
        pdf = document.write_pdf(pdf_identifier=False)
    return LaidOut(pdf, len(document.pages), marks, tuple(bookmarks))


def _mark(index: int, height: float, x: float, y: float) -> Mark:
    return Mark(index, round(x * PX_TO_PT, 2), round((height - y) * PX_TO_PT, 2))


def starts(first: int, parts: Sequence[LaidOut]) -> list[int]:
    """Where each part starts in the joined document, the first at page index ``first``."""
    out = [first]
    for part in parts:
        out.append(out[-1] + part.pages)
    return out


def place(cover_pages: int, parts: Sequence[LaidOut]) -> tuple[dict[str, Mark], int]:
    """Every reported anchor at its page in the joined document, and the page count."""
    offsets = starts(cover_pages, parts)
    marks: dict[str, Mark] = {}
    for start, part in zip(offsets, parts):
        for name, mark in part.anchors.items():
            marks.setdefault(name, Mark(start + mark.page, mark.left, mark.top))
    return marks, offsets[-1]


def join(cover: LaidOut, parts: Sequence[LaidOut], furniture: LaidOut, numbers: Sequence[LaidOut]) -> bytes:
    """The cover and parts as one PDF, furnished, linked and bookmarked."""
    import pikepdf

    everything = [cover, *parts]
    sources = [pikepdf.open(io.BytesIO(p.pdf)) for p in everything]
    out = pikepdf.new()
    for source in sources:
        out.pages.extend(source.pages)
    marks, _ = place(cover.pages, parts)
    _furnish(out, pikepdf.open(io.BytesIO(furniture.pdf)), [pikepdf.open(io.BytesIO(n.pdf)) for n in numbers])
    _link_contents(out, cover.pages, marks)
    _outline(out, _bookmarks(everything))
    _metadata(out, sources[0])
    buffer = io.BytesIO()
    out.save(buffer, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return buffer.getvalue()


def _furnish(out: Pdf, furniture: Pdf, strips: Sequence[Pdf]) -> None:
    """Header, footer and page number on every page after the cover."""
    from pikepdf import Rectangle

    frame = out.copy_foreign(furniture.pages[0].as_form_xobject())
    numbers = [page for strip in strips for page in strip.pages]
    if len(numbers) != len(out.pages) - 1:
        raise RuntimeError(f"{len(numbers)} page numbers for {len(out.pages) - 1} numbered pages")
    width, height = (v * MM_TO_PT for v in NUMBER_STRIP_MM)
    for page, number in zip(out.pages[1:], numbers):
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
        right, middle = x1 - NUMBER_RIGHT_MM * MM_TO_PT, y0 + NUMBER_MIDDLE_MM * MM_TO_PT
        _overlay(page, {"/PwFrame": (frame, Rectangle(x0, y0, x1, y1)),
                        "/PwPage": (out.copy_foreign(number.as_form_xobject()),
                                    Rectangle(right - width, middle - height / 2, right, middle + height / 2))})


def _overlay(page: Page, forms: Mapping[str, tuple[Object, Rectangle]]) -> None:
    """pikepdf's add_overlay, with fixed resource names (its own are random, and a
    rebuilt pack must be byte-identical)."""
    from pikepdf import Dictionary, Name

    # WeasyPrint shares one /XObject dictionary between a document's pages: give this
    # page its own before naming things in it
    resources = Dictionary(dict(page.obj.get("/Resources", Dictionary()).items()))
    resources.XObject = Dictionary(dict(resources.get("/XObject", Dictionary()).items()))
    page.obj.Resources = resources
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(b"Q\n")
    for name, (form, rect) in forms.items():
        placed = page.add_resource(form, Name.XObject, Name(name))
        page.contents_add(page.calc_form_xobject_placement(form, placed, rect))
    page.contents_coalesce()


def _link_contents(out: Pdf, cover_pages: int, marks: Mapping[str, Mark]) -> None:
    """The contents' ``pw-anchor:`` links become links to the joined pages."""
    from pikepdf import Array, Name

    for page in out.pages[:cover_pages]:
        for annot in page.obj.get("/Annots", Array()):
            action = annot.get("/A")
            target = str(action.get("/URI", "")) if action is not None else ""
            if not target.startswith(LINK_SCHEME):
                continue
            mark = marks[target[len(LINK_SCHEME):]]
            del annot["/A"]
            annot.Dest = Array([out.pages[mark.page].obj, Name.XYZ, mark.left, mark.top, 0])


def _bookmarks(parts: Sequence[LaidOut]) -> list[Bookmark]:
    return [Bookmark(b.level, b.label, Mark(start + b.mark.page, b.mark.left, b.mark.top))
            for start, part in zip(starts(0, parts), parts) for b in part.bookmarks]


def _outline(out: Pdf, bookmarks: Sequence[Bookmark]) -> None:
    """Headings as nested bookmarks, as WeasyPrint would have made for one document."""
    from pikepdf import OutlineItem, PageLocation

    with out.open_outline() as outline:
        stack: list[tuple[int, list[OutlineItem]]] = [(0, outline.root)]
        for b in bookmarks:
            item = OutlineItem(b.label, b.mark.page, PageLocation.XYZ, left=b.mark.left, top=b.mark.top)
            while stack[-1][0] >= b.level:
                stack.pop()
            stack[-1][1].append(item)
            stack.append((b.level, item.children))


def _metadata(out: Pdf, cover: Pdf) -> None:
    """Title, author, dates and language from the cover part (all from the pack, not the clock)."""
    from pikepdf import Name, String

    for key, value in cover.docinfo.items():
        out.docinfo[key] = String(str(value))
    if "/Lang" in cover.Root:
        out.Root.Lang = String(str(cover.Root.Lang))
    out.Root.PageMode = Name.UseOutlines


def strips(total: int, size: int = 300) -> list[list[int]]:
    """Page numbers 2..total (the cover has none) in runs of ``size`` consecutive pages:
    runs for the pool to share, fixed so that the bytes do not depend on the pool."""
    numbers = list(range(2, total + 1))
    return [numbers[i:i + size] for i in range(0, len(numbers), size)]
