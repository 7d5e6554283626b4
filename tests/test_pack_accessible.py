"""The board pack a board, a screen reader and Word can use: tagged PDF/UA, a DOCX that
LibreOffice lays out like the PDF, decisions and exceptions with the owner's words,
and no email address in anything the board gets.

Real components: Typst writes the PDF, pikepdf and poppler read its structure back,
LibreOffice (headless) lays out the DOCX. One LibreOffice conversion in the suite.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from planwarden.core.clock import FixedClock
from planwarden.core.config import DirectoryConfig, PlanConfig, load_config
from planwarden.core.db import session_scope
from planwarden.plan.directory import Directory
from planwarden.importing import import_file
from planwarden.importing.parsed import ParsedAction, ParsedPlan, ParsedSection
from planwarden.plan.models import Action, ProgressUpdate
import pdfua
from planwarden.pack.build import build, request_for
from planwarden.importing.writer import PlanWriter

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "examples" / "jtai"
SEED = EXAMPLE / "plan" / "000_3a816ad8139d38e0.txt"
UTC = dt.timezone.utc
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def pdf_info(path: Path, *flags: str) -> str:
    """What pdfinfo prints; it must not complain about the file on the way."""
    done = subprocess.run(["pdfinfo", *flags, str(path)], check=True, capture_output=True, text=True)
    assert "Error" not in done.stderr, done.stderr
    return done.stdout


def docx_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("word/document.xml").decode("utf-8")


def chapter_titles(path: Path) -> list[str]:
    """The PDF's top-level bookmarks: its chapters."""
    import pikepdf

    with pikepdf.open(path) as pdf, pdf.open_outline() as outline:
        return [item.title for item in outline.root]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_seed_pack_is_tagged_pdf_ua_and_the_docx_lays_out_like_it(jtai_env: str, clock: FixedClock,
                                                                   tmp_path: Path) -> None:
    config = load_config()
    with session_scope(jtai_env) as session:
        import_file(session, config, SEED, "jtai")
    clock.set(dt.datetime(2023, 1, 5, 9, tzinfo=UTC))
    with session_scope(jtai_env) as session:
        built = build(session, config, request_for(session, config, "jtai", dt.date(2022, 12, 31)))

    # the PDF: tagged, PDF/UA checks on the structure tree, language and title
    info = pdf_info(built.pdf)
    assert re.search(r"^Tagged:\s+yes", info, re.M)
    assert re.search(r"^Title:\s+.*board pack, 31 December 2022", info, re.M)
    assert pdfua.problems(built.pdf) == []
    import pikepdf

    with pikepdf.open(built.pdf) as pdf:
        assert str(pdf.Root.Lang) == "en-GB"
    tree = pdfua.elements(built.pdf)
    kinds = [e.kind for e in tree]
    assert {"H1", "H2", "H3", "Table", "TH", "TD", "Figure", "L"} <= set(kinds)
    alts = [e.alt for e in tree if e.kind == "Figure"]
    assert len(alts) == 2 and all(re.search(r"\d+ amber, \d+ green", a) for a in alts)
    assert "31 December 2022: 0 red, 42 amber, 35 green" in alts[1]

    # the cover is read in order: who, what, when, then each count with its word
    cover = pdf_info(built.pdf, "-struct-text").split('"Contents"')[0]
    said = " ".join(re.findall(r'"([^"]*)"', cover))
    order = ["CHESHIRE EAST SAFEGUARDING", "JTAI Action Plan", "Board pack", "Position as at 31 December 2022",
             "0 Red", "42 Amber", "35 Green", "77 Actions", "Decisions for the board", "Built by planwarden"]
    positions = [said.find(s) for s in order]
    assert -1 not in positions and positions == sorted(positions), said[:600]

    # the DOCX, laid out by LibreOffice: same chapters, real contents, grid = cells, no addresses
    xml = docx_xml(built.docx)
    chapters = chapter_titles(built.pdf)
    assert chapters[0] == "1. Executive summary" and "2. Decisions for the board" in chapters
    assert chapters[-1] == "Appendix: RAG ratings"
    anchors = re.findall(r'<w:hyperlink w:anchor="(pw_[^"]+)"', xml)
    assert len(anchors) >= len(chapters) + 6  # every chapter and the plan's six sections
    assert "press F9" not in xml and "TOC \\o" not in xml
    grids = grid_and_cells(built.docx)
    assert len(grids) > 30 and all(grid == cells for grid, cells in grids)
    assert [794, 4422, 1928, 1247, 907, 794] in [g for g, _ in grids]  # the plan's columns: 14/78/34/22/16/14 mm
    assert 'descr="Bar chart of actions by RAG rating in each section.' in xml
    assert 'w:val="en-GB"' in docx_xml_styles(built.docx)

    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(built.docx)], check=True, capture_output=True, timeout=240)
    word_pdf = tmp_path / (built.docx.stem + ".pdf")
    word_text, pack_text = pdf_text(word_pdf), pdf_text(built.pdf)
    for title in chapters:
        assert title in word_text, title
    pages_word = int(re.search(r"^Pages:\s+(\d+)", pdf_info(word_pdf), re.M).group(1))  # type: ignore[union-attr]
    pages_pdf = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    assert 0.7 * pages_pdf <= pages_word <= 1.4 * pages_pdf, (pages_word, pages_pdf)
    for text in (word_text, pack_text, xml):
        assert EMAIL.findall(text) == []


def grid_and_cells(path: Path) -> list[tuple[list[int], list[int]]]:
    """Per table: its grid's column widths and its first row's cell widths (twips)."""
    from docx import Document

    out = []
    for table in Document(str(path)).tables:
        tbl = table._tbl
        grid = [int(c.get(f"{W}w")) for c in tbl.tblGrid.findall(f"{W}gridCol")]
        cells = [int(tc.find(f"{W}tcPr/{W}tcW").get(f"{W}w")) for tc in tbl.tr_lst[0].findall(f"{W}tc")]
        out.append((grid, cells))
    return out


def docx_xml_styles(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("word/styles.xml").decode("utf-8")


# --------------------------------------------------------------------------- the board's content, a small plan


def write(url: str, parsed: ParsedPlan) -> None:
    with session_scope(url) as session:
        PlanWriter(session, PlanConfig(key="t"), Directory(DirectoryConfig()), actor="test", source="manual",
                   source_ref="t").write(parsed)


def small_plan(rags: tuple[str, str, str], day: dt.date) -> ParsedPlan:
    return ParsedPlan("Small plan", day, [ParsedSection("1", "Voice of the child")], [
        ParsedAction("1a", "Audit strategy meetings #panic(\"boom\") *not bold*", "Head of Service", "", dt.date(2022, 6, 30), [], rags[0],
                     "Audit started.", "1", None),
        ParsedAction("1b", "Train every social worker", "Training Lead", "", dt.date(2023, 3, 31), [], rags[1],
                     "Sessions booked.", "1", None),
        ParsedAction("1c", "Publish the practice guide", "Principal Social Worker", "", dt.date(2023, 2, 28), [],
                     rags[2], "Drafted.", "1", None)])


def test_board_content_decisions_exceptions_travel_and_privacy(sqlite_url: str, clock: FixedClock) -> None:
    from planwarden.reminders.models import ReminderLog
    from planwarden.replies.models import InboundMessage

    clock.set(dt.datetime(2022, 11, 1, 9, tzinfo=UTC))
    write(sqlite_url, small_plan(("amber", "red", "amber"), dt.date(2022, 11, 1)))
    clock.set(dt.datetime(2022, 12, 5, 9, tzinfo=UTC))
    write(sqlite_url, small_plan(("amber", "amber", "green"), dt.date(2022, 12, 5)))
    with session_scope(sqlite_url) as session:
        ids = {a.ref: a.id for a in session.scalars(select(Action))}
        asking = session.get(Action, ids["1b"])
        asking.updates.append(ProgressUpdate(
            date=dt.date(2022, 12, 6), text="Two cohorts left; we ask for 30 April. " + "More detail. " * 200,
            rag="amber", source="email", author="Training Lead", requested_due=dt.date(2023, 4, 30),
            created_at=dt.datetime(2022, 12, 6, 10, tzinfo=UTC)))
        for ref, sent in (("1a", dt.datetime(2022, 11, 28, 8, tzinfo=UTC)), ("1b", dt.datetime(2022, 12, 13, 8, tzinfo=UTC))):
            session.add(ReminderLog(plan_key="t", action_id=ids[ref], ref=ref, stage="overdue", kind="overdue",
                                    due=dt.date(2022, 6, 30), due_key=ref, occurrence=0, sent_on=sent.date(),
                                    message_ids=[], recipients=[{"to": [f"{ref}.owner@example.org"], "cc": []}],
                                    created_at=sent))
        session.add(InboundMessage(message_id="<q@x>", received_at=dt.datetime(2022, 12, 12, tzinfo=UTC),
                                   sender="stranger@example.net", sender_name="A Stranger", subject="Re: 1a",
                                   raw=b"", outcome="quarantined", reason="not an owner", plan_key="t"))
    clock.set(dt.datetime(2022, 12, 15, 9, tzinfo=UTC))
    config = load_config()
    with session_scope(sqlite_url) as session:
        request = request_for(session, config, "t", dt.date(2022, 12, 14), previous=dt.date(2022, 11, 30))
        built = build(session, config, request)
        public = build(session, config, request, public=True)
    data = built.data
    assert [f.action.ref for f in data.exceptions.requested_dates] == ["1b"]
    assert [f.action.ref for f in data.reported_complete] == ["1c"]
    [overdue] = data.exceptions.overdue
    assert overdue.action.ref == "1a" and overdue.note.endswith("rated amber, not red")
    assert {data.changes.travel[ids[r]] for r in ("1b", "1c")} == {"better"}
    assert data.changes.section_travel == {"1": "better"}
    [chased] = data.not_updated  # 1b's owner was reminded yesterday: within the grace period
    assert (chased.refs, chased.since) == (("1a",), dt.date(2022, 11, 28))

    text = " ".join(pdf_text(built.pdf).split())  # table cells wrap: compare words
    assert "Decisions for the board" in text and "30 Apr 2023" in text
    assert "rated amber, not red" in text and "▲ better" in text
    assert '#panic("boom") *not bold*' in text  # data is shown by Typst, never evaluated
    assert "6 Dec 2022: Two cohorts left" in text  # the owner's latest words beside the exception
    assert "the full text is kept in the plan's history" in text  # a long update is cut in the full plan
    assert EMAIL.findall(text) == [] and EMAIL.findall(docx_xml(built.docx)) == []
    assert built.annex is not None
    annex = pdf_text(built.annex)
    assert "stranger@example.net" in annex and "1a.owner@example.org" in annex
    assert pdfua.problems(built.annex) == []

    published = " ".join(pdf_text(public.pdf).split())
    assert public.annex is None and "Who has not updated" not in published
    assert "Training Lead ·" not in published and "Decisions for the board" in published
    assert public.pdf != built.pdf and EMAIL.findall(published) == []
