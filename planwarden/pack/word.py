"""The pack as a Word document (python-docx), drawn from the same chapters as the PDF.

Secretaries edit packs before a meeting, so the DOCX uses real headings, real
tables and a page-number footer. What Word and LibreOffice need to lay it out as
intended: each table's grid (``tblGrid``) carries the same widths as its cells, in a
fixed layout; the contents page is written out with its entries (links to the
headings), not a field waiting for F9; images carry alt text; the language is en-GB.
Its bytes are fixed for the same data: core properties carry the pack's date, not
the clock, and the zip entries get fixed timestamps.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from docx import Document as new_document
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from planwarden.pack import charts
from planwarden.pack.compute import PackData
from planwarden.pack.document import Block, Document, board_pack

Doc = Any  # python-docx's Document type is a factory
FILL = {"red": "C0392B", "amber": "F0A202", "green": "2E8540", "blue": "1D5FA8", "none": "E0E0E0", "head": "1F3A5F",
        "band": "E8EDF3"}
INK = {"red": "FFFFFF", "amber": "000000", "green": "FFFFFF", "blue": "FFFFFF", "none": "000000", "head": "FFFFFF",
       "band": "12263F"}
NAVY = RGBColor(0x1F, 0x3A, 0x5F)
TEXT_WIDTH_MM = 178.0  # A4 less 16 mm margins: every table is scaled to this
LANG = "en-GB"


def render_docx(pack: PackData, pngs: dict[str, bytes] | None = None) -> bytes:
    """The board pack, byte-identical for the same pack. ``pngs``: the charts, when
    already drawn (by name: "section", "trend")."""
    doc = board_pack(pack)
    pictures = pngs or {"section": charts.section_chart(pack.sections, "png"),
                        "trend": charts.trend_chart(pack.trend, "png")}
    word = new_document()
    _page_setup(word, doc)
    _cover(word, doc)
    _contents(word, doc)
    for chapter in doc.chapters:
        _heading(word, 1, chapter.title, chapter.key, page_break=True)
        for block in chapter.blocks:
            _block(word, block, doc, pictures)
    _core_properties(word, doc)
    buf = io.BytesIO()
    word.save(buf)
    return fixed_zip(buf.getvalue(), doc.moment)


# --------------------------------------------------------------------------- plumbing


def fixed_zip(data: bytes, moment: dt.datetime) -> bytes:
    """Rewrite the package with every entry stamped ``moment``: zip times are the clock's otherwise."""
    stamp = moment.astimezone(dt.timezone.utc).timetuple()[:6]
    stamp = (max(stamp[0], 1980), *stamp[1:])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)  # type: ignore[arg-type]
            entry.compress_type, entry.external_attr = zipfile.ZIP_DEFLATED, 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def _core_properties(word: Doc, doc: Document) -> None:
    props = word.core_properties
    moment = doc.moment.astimezone(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    props.author = props.last_modified_by = doc.author
    props.title, props.subject = doc.title, doc.subject
    props.keywords, props.comments, props.language = "board pack; RAG", "Built by planwarden", LANG
    props.created = props.modified = props.last_printed = moment
    props.revision = 1


def _page_setup(word: Doc, doc: Document) -> None:
    section = word.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(16)
    section.top_margin = section.bottom_margin = Mm(18)
    section.different_first_page_header_footer = True
    styles = word.styles
    normal = styles["Normal"]
    normal.font.name, normal.font.size = "Arial", Pt(9.5)
    normal.element.rPr.rFonts.set(qn("w:cs"), "Arial")
    _language(normal.element.get_or_add_rPr())
    for name, size in (("Title", 26), ("Heading 1", 16), ("Heading 2", 12), ("Heading 3", 10.5)):
        style = styles[name]
        style.font.name, style.font.size, style.font.color.rgb = "Arial", Pt(size), NAVY
        style.paragraph_format.keep_with_next = True
    header = section.header.paragraphs[0]
    header.text = xml_safe(doc.header)
    header.runs[0].font.size = Pt(7.5)
    footer = section.footer.paragraphs[0]
    footer.add_run(xml_safe(doc.footer) + "    Page ").font.size = Pt(7.5)
    _field(footer, "PAGE")
    footer.add_run(" of ").font.size = Pt(7.5)
    _field(footer, "NUMPAGES")


def _language(rpr: Any) -> None:
    lang = OxmlElement("w:lang")
    for attr in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attr), LANG)
    rpr.append(lang)


def _field(paragraph: Paragraph, instruction: str) -> None:
    """A PAGE or NUMPAGES field (Word and LibreOffice compute it on layout)."""
    run = paragraph.add_run()
    for kind in ("begin", "instr", "separate", "text", "end"):
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = f" {instruction} "
        elif kind == "text":
            el = OxmlElement("w:t")
            el.text = "1"
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        run._r.append(el)
    run.font.size = Pt(7.5)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Control characters cannot be stored in Word XML: replaced, never a crash."""
    return _CONTROL.sub("\ufffd", text or "")


def _para(word: Doc, text: str, *, bold: bool = False, italic: bool = False, size: float | None = None,
          style: str | None = None, colour: RGBColor | None = None) -> Paragraph:
    paragraph = word.add_paragraph(style=style)
    run = paragraph.add_run(xml_safe(text))
    run.font.bold, run.font.italic = bold or None, italic or None
    if size:
        run.font.size = Pt(size)
    if colour is not None:
        run.font.color.rgb = colour
    return paragraph


def _heading(word: Doc, level: int, text: str, key: str = "", page_break: bool = False) -> None:
    """A real heading (Word's navigation pane, contents), bookmarked for the contents' links."""
    paragraph = word.add_heading(xml_safe(text), level=level)
    paragraph.paragraph_format.page_break_before = page_break or None
    if key:
        start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
        number = str(_next_id(word))
        start.set(qn("w:id"), number)
        start.set(qn("w:name"), _bookmark(key))
        end.set(qn("w:id"), number)
        paragraph._p.insert(1, start)
        paragraph._p.append(end)


def _next_id(word: Doc) -> int:
    """Bookmark ids counted per document (a rebuild must give the same ids)."""
    word._pw_bookmarks = getattr(word, "_pw_bookmarks", 0) + 1
    return int(word._pw_bookmarks)


def _bookmark(key: str) -> str:
    return "pw_" + re.sub(r"[^A-Za-z0-9_]", "_", key)


# --------------------------------------------------------------------------- cover and contents


def _cover(word: Doc, doc: Document) -> None:
    c = doc.cover
    _para(word, str(c["partnership"]).upper(), bold=True, colour=NAVY)
    _para(word, c["title"], style="Title")
    _para(word, c["kind"], size=16, colour=NAVY)
    if c["meeting"]:
        _para(word, c["meeting"], size=12)
    _para(word, c["as_of"], bold=True, size=12)
    if c["tiles"]:
        tiles = [*c["tiles"], {"rag": "band", "word": "Actions", "n": c["total"]}]
        _append(word, _tbl([[XCell(((str(t["n"]), True, 18.0), (t["word"], True, 0)), t["rag"]) for t in tiles]],
                           [28.0] * len(tiles), header_rows=0))
    for label, n in c["facts"]:
        _para(word, f"{label}: {n}", size=10.5)
    if c["note"]:
        _para(word, c["note"], size=8)


def _contents(word: Doc, doc: Document) -> None:
    """The contents written out: each chapter and section, a link to its heading."""
    heading = word.add_heading("Contents", level=1)
    heading.paragraph_format.page_break_before = True
    for chapter in doc.chapters:
        _toc_entry(word, chapter.title, chapter.key, 0)
        for block in chapter.blocks:
            if block["kind"] == "heading" and block["level"] == 2 and block.get("id"):
                _toc_entry(word, block["text"], block["id"], 1)


def _toc_entry(word: Doc, text: str, key: str, depth: int) -> None:
    paragraph = word.add_paragraph()
    paragraph.paragraph_format.left_indent = Mm(6 * depth)
    paragraph.paragraph_format.space_after = Pt(2)
    link = OxmlElement("w:hyperlink")
    link.set(qn("w:anchor"), _bookmark(key))
    link.set(qn("w:history"), "1")
    run = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = xml_safe(text)
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


# --------------------------------------------------------------------------- blocks


def _block(word: Doc, b: Block, doc: Document, pictures: dict[str, bytes]) -> None:
    kind = b["kind"]
    if kind == "heading":
        _heading(word, b["level"], b["text"], b.get("id", ""))
    elif kind == "para" and b["text"]:
        style = b["style"]
        _para(word, b["text"], italic=style == "empty", size=8 if style == "muted" else None)
    elif kind == "bullets":
        for item in b["items"]:
            word.add_paragraph(xml_safe(item), style="List Bullet")
    elif kind == "table":
        _data_table(word, b)
    elif kind == "findings":
        _append(word, _tbl([[XCell.of(label, "band", bold=True), XCell.of(text)] for label, text in b["rows"]],
                           b["widths"], header_rows=0))
    elif kind == "actions":
        _actions(word, b)
    elif kind == "figure":
        _figure(word, pictures[b["chart"]], doc.charts[b["chart"]], b["caption"], b["width"])


def _figure(word: Doc, png: bytes, alt: str, caption: str, width: float) -> None:
    word.add_picture(io.BytesIO(png), width=Mm(width))
    shape = word.inline_shapes[-1]
    shape._inline.docPr.set("descr", xml_safe(alt))
    shape._inline.docPr.set("title", xml_safe(caption))
    _para(word, caption, size=8.5, style="Caption")


# --------------------------------------------------------------------------- tables, written as XML
# python-docx's table API re-reads the whole grid on every cell access (a 2,000-action
# plan took minutes); the tables are written as WordprocessingML directly instead.


@dataclass(frozen=True)
class XCell:
    """One cell: paragraphs of (text, bold, size in points or 0), an optional fill, a span."""

    paras: tuple[tuple[str, bool, float], ...]
    fill: str = ""
    span: int = 1

    @staticmethod
    def of(value: Any, fill: str = "", bold: bool = False) -> XCell:
        if isinstance(value, dict) and "rag" in value:
            return XCell(((value["text"], True, 0),), value["rag"])
        lines = [line.strip() for line in str(value).split("\n")] or [""]
        return XCell(tuple((line, bold, 0) for line in lines), fill)


def _run(text: str, bold: bool, size: float, ink: str) -> str:
    props = ("<w:b/>" if bold else "") + (f'<w:color w:val="{ink}"/>' if ink else "") + (
        f'<w:sz w:val="{round(size * 2)}"/>' if size else "")
    return (f"<w:r>{f'<w:rPr>{props}</w:rPr>' if props else ''}"
            f'<w:t xml:space="preserve">{escape(xml_safe(text))}</w:t></w:r>')


def _cell_xml(cell: XCell, width: int) -> str:
    ink = INK.get(cell.fill, "") if cell.fill else ""
    shade = f'<w:shd w:val="clear" w:color="auto" w:fill="{FILL[cell.fill]}"/>' if cell.fill else ""
    span = f'<w:gridSpan w:val="{cell.span}"/>' if cell.span > 1 else ""
    paras = "".join(f'<w:p><w:pPr><w:spacing w:before="0" w:after="40"/></w:pPr>{_run(t, b, z, ink)}</w:p>'
                    for t, b, z in cell.paras) or "<w:p/>"
    return f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{span}{shade}</w:tcPr>{paras}</w:tc>'


def _tbl(rows: Sequence[Sequence[XCell]], widths: Sequence[float], header_rows: int = 1,
         keep: Sequence[int] = ()) -> str:
    """A fixed-layout table whose grid columns and cells have the same widths (scaled to
    the text width), so Word and LibreOffice give each column the room it asks for.
    The first ``header_rows`` repeat on every page; rows in ``keep`` never split."""
    scale = TEXT_WIDTH_MM / sum(widths) if sum(widths) > TEXT_WIDTH_MM else 1.0
    twips = [_twips(w * scale) for w in widths]
    out = [f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="TableGrid"/>'
           f'<w:tblW w:w="{sum(twips)}" w:type="dxa"/><w:jc w:val="center"/><w:tblLayout w:type="fixed"/>'
           f'<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" '
           f'w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>']
    out += [f'<w:gridCol w:w="{w}"/>' for w in twips]
    out.append("</w:tblGrid>")
    keep_rows = set(keep)
    for i, row in enumerate(rows):
        props = ('<w:cantSplit/>' if i in keep_rows or i < header_rows else "") + (
            "<w:tblHeader/>" if i < header_rows else "")
        out.append(f"<w:tr>{f'<w:trPr>{props}</w:trPr>' if props else ''}")
        column = 0
        for cell in row:
            out.append(_cell_xml(cell, sum(twips[column:column + cell.span])))
            column += cell.span
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def _append(word: Doc, xml: str) -> None:
    """Put a table in the body, before the final section properties, then a spacer paragraph."""
    body = word.element.body
    body.sectPr.addprevious(parse_xml(xml))
    word.add_paragraph()


def _twips(mm: float) -> int:
    return round(mm * 1440 / 25.4)


def _head(header: Sequence[str], rags: Sequence[str] = ()) -> list[XCell]:
    rags = list(rags) + [""] * (len(header) - len(rags))
    return [XCell(((h, True, 0),), rag or "head") for h, rag in zip(header, rags)]


def _data_table(word: Doc, b: Block) -> None:
    rows = [_head(b["header"], b.get("header_rags") or ()), *([XCell.of(c) for c in r] for r in b["rows"])]
    if b.get("foot"):
        rows.append([XCell.of(c.get("text") if isinstance(c, dict) else c, "band", bold=True) for c in b["foot"]])
    _append(word, _tbl(rows, b["widths"]))


def _actions(word: Doc, b: Block) -> None:
    """One table per area: heads repeat on each page; an action's row stays whole, its
    progress in a row spanning the table under it."""
    rows: list[list[XCell]] = [_head(b["header"])]
    keep = []
    for r in b["rows"]:
        keep.append(len(rows))
        rows.append([XCell.of(r["ref"], "band", bold=True), XCell.of(r["text"], "band"), XCell.of(r["owner"], "band"),
                     XCell.of(r["due"], "band"), XCell.of(r["rag"]), XCell.of(r["travel"], "band")])
        paras = [(r["progress"], True, 0.0)]
        for u in r["updates"]:
            paras.append((u["meta"], True, 8.0))
            paras += [(line.strip(), False, 0.0) for line in (u["text"] or "").split("\n") if line.strip()]
        rows.append([XCell(tuple(paras), span=len(b["header"]))])
    _append(word, _tbl(rows, b["widths"], keep=keep))
