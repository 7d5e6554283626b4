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
from typing import Any

from docx import Document as new_document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table, _Cell
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


def render_docx(pack: PackData, doc: Document | None = None) -> bytes:
    """The board pack (or another document of the pack, e.g. the annex), byte-identical for the same pack."""
    doc = doc or board_pack(pack)
    pictures = {"section": lambda: charts.section_chart(pack.sections, "png"),
                "trend": lambda: charts.trend_chart(pack.trend, "png")}
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
        table = _grid(word, [[f"{t['n']} {t['word']}" for t in tiles]], [28.0] * len(tiles), header=False)
        for cell, tile in zip(table.rows[0].cells, tiles):
            _shade(cell, tile["rag"], bold=True)
        _para(word, "")
    if c["facts"]:
        _grid(word, c["facts"], [80.0, 20.0], header=False)
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


def _block(word: Doc, b: Block, doc: Document, pictures: dict[str, Any]) -> None:
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
        table = _grid(word, b["rows"], b["widths"], header=False)
        for row in table.rows:
            _shade(row.cells[0], "band", bold=True)
    elif kind == "actions":
        _actions(word, b)
    elif kind == "figure":
        _figure(word, pictures[b["chart"]](), doc.charts[b["chart"]], b["caption"], b["width"])


def _figure(word: Doc, png: bytes, alt: str, caption: str, width: float) -> None:
    word.add_picture(io.BytesIO(png), width=Mm(width))
    shape = word.inline_shapes[-1]
    shape._inline.docPr.set("descr", xml_safe(alt))
    shape._inline.docPr.set("title", xml_safe(caption))
    _para(word, caption, size=8.5, style="Caption")


def _text(cell: Any) -> str:
    return cell["text"] if isinstance(cell, dict) else str(cell)


def _data_table(word: Doc, b: Block) -> None:
    rows = [b["header"], *b["rows"], *([b["foot"]] if b.get("foot") else [])]
    table = _grid(word, [[_text(c) for c in r] for r in rows], b["widths"], header=True)
    for cell, rag in zip(table.rows[0].cells, b.get("header_rags") or []):
        if rag:
            _shade(cell, rag, bold=True)
    for row, values in zip(table.rows[1:], rows[1:]):
        for cell, value in zip(row.cells, values):
            if isinstance(value, dict) and "rag" in value:
                _shade(cell, value["rag"], bold=True)
    if b.get("foot"):
        for cell in table.rows[-1].cells:
            _shade(cell, "band", bold=True)


def _actions(word: Doc, b: Block) -> None:
    """One table per area: heads repeat on each page; an action's row stays whole, its
    progress in a merged row under it."""
    rows: list[list[str]] = [b["header"]]
    for r in b["rows"]:
        rows.append([r["ref"], r["text"], r["owner"], r["due"], r["rag"]["text"], r["travel"]])
        rows.append([""] * len(b["header"]))
    table = _grid(word, rows, b["widths"], header=True)
    for i, r in enumerate(b["rows"]):
        main, progress = table.rows[1 + 2 * i], table.rows[2 + 2 * i]
        _no_split(main)
        _shade(main.cells[4], r["rag"]["rag"], bold=True)
        merged = progress.cells[0].merge(progress.cells[-1])
        merged.paragraphs[0].add_run(xml_safe(r["progress"])).font.bold = True
        for u in r["updates"]:
            meta = merged.add_paragraph().add_run(xml_safe(u["meta"]))
            meta.font.bold, meta.font.size = True, Pt(8)
            for line in (u["text"] or "").split("\n"):
                if line.strip():
                    merged.add_paragraph(xml_safe(line.strip()))


def _grid(word: Doc, rows: Sequence[Sequence[str]], widths: Sequence[float], header: bool) -> Table:
    """A fixed-layout table whose grid columns and cells have the same widths (scaled to
    the text width), so Word and LibreOffice give each column the room it asks for."""
    scale = TEXT_WIDTH_MM / sum(widths) if sum(widths) > TEXT_WIDTH_MM else 1.0
    mm = [w * scale for w in widths]
    table = word.add_table(rows=len(rows), cols=len(widths))
    table.style, table.alignment, table.autofit = "Table Grid", WD_TABLE_ALIGNMENT.CENTER, False
    tbl = table._tbl
    for col, width in zip(tbl.tblGrid.findall(qn("w:gridCol")), mm):
        col.set(qn("w:w"), str(_twips(width)))
    pr = tbl.tblPr
    tbl_w = pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        pr.append(tbl_w)
    tbl_w.set(qn("w:w"), str(sum(_twips(w) for w in mm)))
    tbl_w.set(qn("w:type"), "dxa")
    for row, values in zip(table.rows, rows):
        for cell, value, width in zip(row.cells, values, mm):
            cell.width = Mm(width)
            _fill_cell(cell, value)
    if header and table.rows:
        _repeat_header(table.rows[0])
        for cell in table.rows[0].cells:
            _shade(cell, "head", bold=True)
    return table


def _twips(mm: float) -> int:
    return round(mm * 1440 / 25.4)


def _fill_cell(cell: _Cell, value: str) -> None:
    lines = [line for line in xml_safe(str(value)).split("\n")] or [""]
    cell.paragraphs[0].add_run(lines[0])
    for line in lines[1:]:
        cell.add_paragraph(line)


def _repeat_header(row: Any) -> None:
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(el)


def _no_split(row: Any) -> None:
    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(el)


def _shade(cell: _Cell, key: str, bold: bool = False) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), FILL[key])
    cell._tc.get_or_add_tcPr().append(shd)
    for p in cell.paragraphs:
        for r in p.runs:
            r.font.color.rgb = RGBColor.from_string(INK[key])
            r.font.bold = bold or r.font.bold
