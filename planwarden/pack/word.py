"""The pack as a Word document (python-docx), from the same computed data as the PDF.

Secretaries edit packs before a meeting, so the DOCX uses real headings (the
contents field updates from them), real tables and a page-number footer. Its bytes
are fixed for the same data: core properties carry the pack's date, not the clock,
and the zip entries get fixed timestamps.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Sequence

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from planwarden.pack import charts
from planwarden.pack.compute import Counts, Flagged, PackData, rag_key
from planwarden.pack.render import RAG_WORDS, long_date, short_date

Doc = object  # python-docx's Document type is a factory; keep annotations simple
FILL = {"red": "C0392B", "amber": "F0A202", "green": "2E8540", "none": "E0E0E0", "head": "1F3A5F", "band": "E8EDF3"}
INK = {"red": "FFFFFF", "amber": "000000", "green": "FFFFFF", "none": "000000", "head": "FFFFFF", "band": "12263F"}
NAVY = RGBColor(0x1F, 0x3A, 0x5F)


def render_docx(pack: PackData) -> bytes:
    """The whole document, byte-identical for the same pack."""
    doc = Document()
    _page_setup(doc, pack)
    _cover(doc, pack)
    _contents(doc)
    _summary(doc, pack)
    _changes(doc, pack)
    _exceptions(doc, pack)
    _due_next(doc, pack)
    _not_updated(doc, pack)
    _governance(doc, pack)
    _data_quality(doc, pack)
    _full_plan(doc, pack)
    _core_properties(doc, pack)
    buf = io.BytesIO()
    doc.save(buf)
    return fixed_zip(buf.getvalue(), pack.cutoff)


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


def _core_properties(doc: Doc, pack: PackData) -> None:
    props = doc.core_properties  # type: ignore[attr-defined]
    moment = pack.cutoff.astimezone(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    props.author = props.last_modified_by = pack.partnership or "planwarden"
    props.title = f"{pack.title} — board pack, {long_date(pack.as_of)}"
    props.subject, props.keywords, props.comments = "Board pack", "board pack; RAG", "Built by planwarden"
    props.created = props.modified = props.last_printed = moment
    props.revision = 1


def _page_setup(doc: Doc, pack: PackData) -> None:
    section = doc.sections[0]  # type: ignore[attr-defined]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(16)
    section.top_margin = section.bottom_margin = Mm(18)
    section.different_first_page_header_footer = True
    normal = doc.styles["Normal"]  # type: ignore[attr-defined]
    normal.font.name, normal.font.size = "Arial", Pt(9.5)
    normal.element.rPr.rFonts.set(qn("w:cs"), "Arial")
    for name, size in (("Title", 26), ("Heading 1", 16), ("Heading 2", 12), ("Heading 3", 10.5)):
        style = doc.styles[name]  # type: ignore[attr-defined]
        style.font.name, style.font.size, style.font.color.rgb = "Arial", Pt(size), NAVY
    header = section.header.paragraphs[0]
    header.text = xml_safe(f"{pack.title} — board pack, position at {long_date(pack.as_of)}")
    header.runs[0].font.size = Pt(7.5)
    footer = section.footer.paragraphs[0]
    for part in ("Page ", "PAGE", " of ", "NUMPAGES"):
        if part.isupper():
            _field(footer, part)
        else:
            footer.add_run(part).font.size = Pt(7.5)


def _field(paragraph: Paragraph, instruction: str, placeholder: str = "1") -> None:
    """A Word field (PAGE, NUMPAGES, TOC): Word computes it when the document opens."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None), ("text", placeholder),
                       ("end", None)):
        if kind in ("begin", "separate", "end"):
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            if kind == "begin":
                el.set(qn("w:dirty"), "true")
            run._r.append(el)
        elif kind == "text":
            t = OxmlElement("w:t")
            t.text = text or placeholder
            run._r.append(t)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {text} "
            run._r.append(instr)
    run.font.size = Pt(7.5)


def _page_break(doc: Doc) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)  # type: ignore[attr-defined]


def _shade(cell: _Cell, key: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), FILL[key])
    cell._tc.get_or_add_tcPr().append(shd)
    for p in cell.paragraphs:
        for r in p.runs:
            r.font.color.rgb = RGBColor.from_string(INK[key])


def _table(doc: Doc, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
           rag_column: int | None = None) -> Table:
    """A grid table with a navy header row that repeats on each page."""
    table = doc.add_table(rows=1, cols=len(headers))  # type: ignore[attr-defined]
    table.style, table.alignment, table.autofit = "Table Grid", WD_TABLE_ALIGNMENT.CENTER, False
    _repeat_header(table.rows[0])
    for cell, text in zip(table.rows[0].cells, headers):
        cell.text = text
        cell.paragraphs[0].runs[0].font.bold = True
        _shade(cell, "head")
    for values in rows:
        cells = table.add_row().cells
        for i, (cell, text) in enumerate(zip(cells, values)):
            cell.text = xml_safe(text)
            if rag_column is not None and i == rag_column:
                cell.paragraphs[0].runs[0].font.bold = True
                _shade(cell, _rag_from_word(text))
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = Mm(width)
    return table


def _repeat_header(row: object) -> None:
    tr_pr = row._tr.get_or_add_trPr()  # type: ignore[attr-defined]
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _rag_from_word(word: str) -> str:
    return {v: k for k, v in RAG_WORDS.items()}.get(word, "none")


def _para(doc: Doc, text: str, *, bold: bool = False, italic: bool = False, size: float | None = None,
          style: str | None = None) -> Paragraph:
    """A paragraph with one run (even when the text is empty), formatted."""
    paragraph = doc.add_paragraph(style=style)  # type: ignore[attr-defined]
    run = paragraph.add_run(xml_safe(text))
    run.font.bold, run.font.italic = bold or None, italic or None
    if size:
        run.font.size = Pt(size)
    return paragraph


def _empty(doc: Doc, text: str) -> None:
    _para(doc, text, italic=True)


# --------------------------------------------------------------------------- parts


def _cover(doc: Doc, pack: PackData) -> None:
    _para(doc, pack.partnership.upper(), bold=True)
    _para(doc, pack.title, style="Title")
    _para(doc, "Board pack", size=16)
    if pack.meeting_title:
        _para(doc, f"For the {pack.meeting_title}, {pack.meeting_when}")
    _para(doc, f"Position as at {long_date(pack.as_of)}", bold=True)
    _tiles(doc, pack.counts)
    _para(doc, f"Built by planwarden from the plan's recorded history up to {pack.cutoff:%-d %B %Y, %H:%M} UTC.",
          size=8)
    _page_break(doc)


def _tiles(doc: Doc, counts: Counts) -> None:
    table = doc.add_table(rows=1, cols=5)  # type: ignore[attr-defined]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, key, n in zip(table.rows[0].cells, ("red", "amber", "green", "none", "band"),
                            (counts.red, counts.amber, counts.green, counts.none, counts.total)):
        word = RAG_WORDS.get(key, "Actions")
        cell.text = f"{n}\n{word.upper()}"
        run = cell.paragraphs[0].runs[0]
        run.font.bold, run.font.size = True, Pt(14)
        _shade(cell, key)


def _contents(doc: Doc) -> None:
    doc.add_heading("Contents", level=1)  # type: ignore[attr-defined]
    _field(doc.add_paragraph(), 'TOC \\o "1-2" \\h \\z \\u',  # type: ignore[attr-defined]
           "Contents: Word fills this in when the document is opened (or press F9).")
    _page_break(doc)


def _summary(doc: Doc, pack: PackData) -> None:
    doc.add_heading("1. Executive summary", level=1)  # type: ignore[attr-defined]
    _tiles(doc, pack.counts)
    c, e = pack.counts, pack.exceptions
    lines = [f"{c.green} of {c.total} actions are complete (green); {c.open} remain open.",
             f"{len(e.overdue)} overdue, {len(e.red)} red, {len(e.stale)} with no update for {pack.stale_days} days, "
             f"{len(e.requested_dates)} new due dates awaiting the board's decision.",
             f"{len(pack.due_next)} open actions are due by {long_date(pack.next_period[1])}."]
    if pack.changes.since:
        ch = pack.changes
        lines.insert(1, f"Since the previous pack ({long_date(ch.since)}): {len(ch.turned_green)} turned green, "
                        f"{len(ch.turned_red)} turned red, {len(ch.newly_overdue)} became overdue, "
                        f"{len(ch.new_updates)} new progress updates.")
    for line in lines:
        doc.add_paragraph(line, style="List Bullet")  # type: ignore[attr-defined]
    doc.add_heading("RAG by section", level=2)  # type: ignore[attr-defined]
    rows = [[s.label, str(s.counts.red), str(s.counts.amber), str(s.counts.green), str(s.counts.none),
             str(s.counts.total)] for s in pack.sections]
    rows.append(["All sections", str(c.red), str(c.amber), str(c.green), str(c.none), str(c.total)])
    table = _table(doc, ["Section", "Red", "Amber", "Green", "Not rated", "Total"], rows, [78, 20, 20, 20, 20, 20])
    for cell, key in zip(table.rows[0].cells[1:5], ("red", "amber", "green", "none")):
        _shade(cell, key)
    doc.add_picture(io.BytesIO(charts.section_chart(pack.sections, "png")), width=Mm(170))  # type: ignore[attr-defined]
    doc.add_paragraph(f"Figure 1. Actions by RAG rating in each section, {long_date(pack.as_of)}.")  # type: ignore[attr-defined]
    doc.add_picture(io.BytesIO(charts.trend_chart(pack.trend, "png")), width=Mm(150))  # type: ignore[attr-defined]
    doc.add_paragraph("Figure 2. RAG position at the end of previous months and at this pack.")  # type: ignore[attr-defined]


def _flagged(doc: Doc, items: Sequence[Flagged], note: str, empty: str) -> None:
    if not items:
        _empty(doc, empty)
        return
    headers = ["Ref", "Action", "Owner", "Due", "RAG"] + ([note] if note else [])
    rows = [[f.action.ref, _cut(f.action.text, 260), f.action.owner_text, short_date(f.action.due),
             RAG_WORDS[rag_key(f.action.rag)]] + ([f.note] if note else []) for f in items]
    _table(doc, headers, rows, [12, 70, 36, 20, 16, 24][: len(headers)], rag_column=4)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Control characters cannot be stored in Word XML: replaced, never a crash."""
    return _CONTROL.sub("\ufffd", text or "")


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _changes(doc: Doc, pack: PackData) -> None:
    doc.add_heading("2. Changes since the previous pack", level=1)  # type: ignore[attr-defined]
    ch = pack.changes
    if not ch.since:
        _empty(doc, "This is the first pack for this plan: there is no earlier position to compare with.")
        return
    doc.add_paragraph(f"Compared with the position at {long_date(ch.since)}.")  # type: ignore[attr-defined]
    for title, items, note, empty in (("Turned green", ch.turned_green, "Before", "No action turned green."),
                                      ("Turned red", ch.turned_red, "Before", "No action turned red."),
                                      ("Newly overdue", ch.newly_overdue, "Due", "No action became overdue.")):
        doc.add_heading(title, level=2)  # type: ignore[attr-defined]
        _flagged(doc, items, note, empty)
    doc.add_heading("New progress updates", level=2)  # type: ignore[attr-defined]
    if not ch.new_updates:
        _empty(doc, "No new progress updates.")
        return
    rows = [[f.action.ref, short_date(f.update.date) if f.update else "", RAG_WORDS[rag_key(f.update.rag if f.update else None)],
             f.update.text if f.update else ""] for f in ch.new_updates]
    _table(doc, ["Ref", "Date", "RAG given", "Update"], rows, [12, 22, 18, 128], rag_column=2)


def _exceptions(doc: Doc, pack: PackData) -> None:
    doc.add_heading("3. Exceptions", level=1)  # type: ignore[attr-defined]
    e = pack.exceptions
    doc.add_heading("Overdue", level=2)  # type: ignore[attr-defined]
    _flagged(doc, e.overdue, "Overdue by", "No open action is past its due date.")
    doc.add_heading("Red", level=2)  # type: ignore[attr-defined]
    _flagged(doc, e.red, "", "No action is rated red.")
    doc.add_heading(f"No update for {pack.stale_days} days", level=2)  # type: ignore[attr-defined]
    grouped = e.stale_by_owner
    if grouped:
        doc.add_paragraph(f"{len(e.stale)} open actions have had no update for {pack.stale_days} days. They are "  # type: ignore[attr-defined]
                          "listed by owner; each action's text and history is in the full plan.")
        _table(doc, ["Owner", "Actions", "Refs", "Oldest last update"],
               [[g.owner, str(len(g.refs)), ", ".join(g.refs), short_date(g.oldest) if g.oldest else "never updated"]
                for g in grouped], [40, 16, 96, 28])
    else:
        _flagged(doc, e.stale, "Last update", "Every open action has a recent update.")
    doc.add_heading("New due dates awaiting the board", level=2)  # type: ignore[attr-defined]
    if e.requested_dates:
        _table(doc, ["Ref", "Action", "Due now", "Asked for", "Reason given"],
               [[f.action.ref, _cut(f.action.text, 220), short_date(f.action.due),
                 short_date(f.update.requested_due if f.update else None), _cut(f.update.text if f.update else "", 300)]
                for f in e.requested_dates], [12, 60, 22, 22, 64])
    else:
        _empty(doc, "No owner has asked for a new due date.")
    doc.add_heading("Replies held for the secretary", level=2)  # type: ignore[attr-defined]
    if e.quarantined:
        _table(doc, ["Received", "From", "Subject", "Why it was held"],
               [[short_date(q["received"].date()), q["sender"], q["subject"], q["reason"]] for q in e.quarantined],
               [22, 50, 60, 48])
    else:
        _empty(doc, "No replies are waiting in quarantine.")


def _due_next(doc: Doc, pack: PackData) -> None:
    doc.add_heading("4. Due in the next period", level=1)  # type: ignore[attr-defined]
    doc.add_paragraph(f"Open actions due after {long_date(pack.next_period[0])} and by "  # type: ignore[attr-defined]
                      f"{long_date(pack.next_period[1])}.")
    _flagged(doc, pack.due_next, "", "No open action falls due in this period.")


def _not_updated(doc: Doc, pack: PackData) -> None:
    doc.add_heading("5. Who has not updated", level=1)  # type: ignore[attr-defined]
    if not pack.not_updated:
        _empty(doc, "Everyone reminded has replied (or no reminders have been sent yet).")
        return
    _table(doc, ["Owner", "Actions", "Last reminded", "Days since"],
           [[f"{n.name} <{n.email}>" if n.email and n.email != n.name else n.name, ", ".join(n.refs),
             short_date(n.last_reminded), str(n.days)] for n in pack.not_updated], [70, 60, 28, 22])


def _governance(doc: Doc, pack: PackData) -> None:
    doc.add_heading("6. Upcoming governance dates", level=1)  # type: ignore[attr-defined]
    if not pack.governance:
        _empty(doc, "No meetings in the governance calendar in the next three months.")
        return
    _table(doc, ["When", "Meeting", "Where"],
           [[g.when, g.title + (" (receives the pack)" if g.board else ""), g.location] for g in pack.governance],
           [50, 60, 70])


def _data_quality(doc: Doc, pack: PackData) -> None:
    doc.add_heading("7. Data-quality notes", level=1)  # type: ignore[attr-defined]
    refs = ", ".join(a.ref for a in pack.no_due_date)
    owners = "; ".join(f"{u.get('ref')} “{u.get('owner_text')}”" for u in pack.unresolved_owners)
    for line in (f"{len(pack.no_due_date)} open actions without a due date{': ' + refs if refs else ''}.",
                 f"{len(pack.unresolved_owners)} action owners not found in the directory{': ' + owners if owners else ''}.",
                 f"{len(pack.exceptions.quarantined)} replies held in quarantine."):
        doc.add_paragraph(line, style="List Bullet")  # type: ignore[attr-defined]


def _full_plan(doc: Doc, pack: PackData) -> None:
    _page_break(doc)
    doc.add_heading("8. The full plan", level=1)  # type: ignore[attr-defined]
    if not pack.sections:
        _empty(doc, "The plan has no sections or actions yet.")
    for s in pack.sections:
        doc.add_heading(xml_safe(s.label), level=2)  # type: ignore[attr-defined]
        doc.add_paragraph(f"{s.counts.total} actions: {s.counts.red} red, {s.counts.amber} amber, "  # type: ignore[attr-defined]
                          f"{s.counts.green} green, {s.counts.none} not rated.")
        if not s.areas:
            _empty(doc, "This section has no areas or actions.")
        for block in s.areas:
            if block.info:
                doc.add_heading(xml_safe(f"{block.info.number} {block.info.title}"), level=3)  # type: ignore[attr-defined]
                _findings(doc, block.info)
            for action in block.actions:
                _action(doc, action)


def _findings(doc: Doc, info: object) -> None:
    rows = [(label, getattr(info, name)) for label, name in (
        ("Priority action", "priority_action"), ("What needs to improve", "what_needs_to_improve"),
        ("What inspectors found", "what_inspectors_found")) if getattr(info, name)]
    if not rows:
        return
    table = doc.add_table(rows=0, cols=2)  # type: ignore[attr-defined]
    table.style, table.autofit = "Table Grid", False
    for label, text in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, xml_safe(text)
        cells[0].paragraphs[0].runs[0].font.bold = True
        _shade(cells[0], "band")
        cells[0].width, cells[1].width = Mm(36), Mm(142)
    doc.add_paragraph()  # type: ignore[attr-defined]


def _action(doc: Doc, action: object) -> None:
    a = action
    due = short_date(a.due) + (f" ({a.due_text})" if a.due_text and not a.due else "")  # type: ignore[attr-defined]
    if a.milestones:  # type: ignore[attr-defined]
        due += "\nMilestones: " + ", ".join(a.milestones)  # type: ignore[attr-defined]
    table = _table(doc, ["Ref", "Action", "Owner", "Due", "RAG"],
                   [[a.ref, a.text, a.owner_text, due, RAG_WORDS[rag_key(a.rag)]]],  # type: ignore[attr-defined]
                   [12, 90, 40, 22, 16], rag_column=4)
    cells = table.add_row().cells
    merged = cells[0].merge(cells[-1])
    updates = list(reversed(a.updates))  # type: ignore[attr-defined]
    merged.text = f"Progress ({len(updates)} update{'' if len(updates) == 1 else 's'})"
    merged.paragraphs[0].runs[0].font.bold = True
    for u in updates:
        meta = " · ".join(x for x in (long_date(u.date), RAG_WORDS[rag_key(u.rag)] if u.rag else "", u.author, u.source,
                                      f"asks for a new due date: {long_date(u.requested_due)}" if u.requested_due else "")
                          if x)
        p = merged.add_paragraph()
        p.add_run(xml_safe(meta)).font.bold = True
        merged.add_paragraph(xml_safe(u.text))
    if not updates:
        merged.add_paragraph("No progress update recorded.")
    doc.add_paragraph()  # type: ignore[attr-defined]
