"""A pack laid out in parts and joined: what a reader sees must not show the seams.

Page numbers on every page, the contents' numbers and links, the bookmarks, a very
large section cut with "(continued)", the stale list per owner when it is long, and
the same bytes whether the parts are laid out here or in worker processes.
"""

from __future__ import annotations

import datetime as dt
import io
import multiprocessing
import re
import shutil
import subprocess
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pikepdf
import pytest
from docx import Document

from planwarden.core.clock import FixedClock
from planwarden.core.config import DirectoryConfig, PlanConfig, load_config
from planwarden.core.db import session_scope
from planwarden.plan.directory import Directory
from planwarden.importing.parsed import ParsedAction, ParsedArea, ParsedPlan, ParsedSection
from planwarden.pack import parts
from planwarden.pack.build import InProcess, prepare, request_for
from planwarden.pack.compute import PackData
from planwarden.pack.render import render_pdf
from planwarden.pack.word import render_docx
from planwarden.importing.writer import PlanWriter

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")
UTC = dt.timezone.utc


def plan(sections: int, areas: int, per_area: int, *, stale_owners: int = 3) -> ParsedPlan:
    """Sections of areas of actions; every action open and last updated long ago."""
    built = [ParsedSection(str(s), f"Section {s} title", [ParsedArea(f"{s}.{a}", f"Area {s}.{a}", priority_action="Do it")
                                                          for a in range(1, areas + 1)])
             for s in range(1, sections + 1)]
    actions = [ParsedAction(f"{s}.{a}{chr(97 + i)}", f"Action {s}.{a}{chr(97 + i)} text", f"Owner {i % stale_owners}", "",
                            dt.date(2023, 3, 1), [], "amber", f"Update for {s}.{a}{chr(97 + i)}", str(s), f"{s}.{a}")
               for s in range(1, sections + 1) for a in range(1, areas + 1) for i in range(per_area)]
    return ParsedPlan("Joined plan", dt.date(2022, 10, 1), built, actions)


def pack_for(url: str, parsed: ParsedPlan) -> PackData:
    with session_scope(url) as session:
        PlanWriter(session, PlanConfig(key="t"), Directory(DirectoryConfig()), actor="test", source="manual",
                   source_ref="t").write(parsed)
    config = load_config()
    with session_scope(url) as session:
        return prepare(session, config, request_for(session, config, "t", dt.date(2022, 12, 14)))


def page_texts(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return text.split("\f")[:-1]


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut a small plan as a 2,000-action one would be: in parts, one per section or less."""
    monkeypatch.setattr(parts, "CHUNK_WEIGHT", 12)
    monkeypatch.setattr(parts, "PARALLEL_FROM", 0)


# --------------------------------------------------------------------------- cutting (pure)


def test_a_huge_area_is_cut_inside_and_every_action_is_kept_once(sqlite_url: str, clock: FixedClock,
                                                                  small_parts: None) -> None:
    data = pack_for(sqlite_url, plan(sections=2, areas=2, per_area=9))
    cut = parts.plan_parts(data)
    pieces = [piece for part in cut for piece in part.pieces]
    refs = [a.ref for piece in pieces for block, _ in piece.areas for a in block.actions]
    assert refs == [a.ref for a in data.actions]  # each once, in plan order
    assert all(part.weight <= parts.CHUNK_WEIGHT for part in cut)
    assert [p.section_start for p in pieces if p.section_number == 1] == [True, False, False, False]
    continued = [(block.info.number, flag) for piece in pieces for block, flag in piece.areas]
    assert continued[:4] == [("1.1", False), ("1.1", True), ("1.2", False), ("1.2", True)]
    assert cut[0].anchors == ("plan", "section-1") and cut[0].first and not cut[1].first


def test_whole_sections_share_a_part_when_they_fit(sqlite_url: str, clock: FixedClock) -> None:
    data = pack_for(sqlite_url, plan(sections=3, areas=1, per_area=2))
    (only,) = parts.plan_parts(data)
    assert only.anchors == ("plan", "section-1", "section-2", "section-3")
    assert [len(g) for g in parts.batches(parts.body_parts(data), 4 * parts.CHUNK_WEIGHT)] == [5]


# --------------------------------------------------------------------------- the joined PDF


def test_joined_pack_numbers_links_and_bookmarks_every_page(sqlite_url: str, clock: FixedClock, tmp_path: Path,
                                                            small_parts: None) -> None:
    data = pack_for(sqlite_url, plan(sections=3, areas=2, per_area=9))
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(render_pdf(data, InProcess()))
    pages = page_texts(pdf)
    total = len(pages)
    assert "Page" not in pages[0] and "board pack, position at 14 December 2022" not in pages[0]  # the cover is bare
    for number, text in enumerate(pages[1:], start=2):
        assert f"Page {number} of {total}" in text
        assert "Joined plan — board pack, position at 14 December 2022" in text
        assert "Position as at 14 December 2022" in text
    assert sum("(continued)" in t for t in pages) >= 6
    listed = dict(re.findall(r"(Section \d title|\d\. Executive summary|Appendix: RAG ratings)[ .]+(\d+)\s*$",
                             pages[1], re.M))
    assert listed["1. Executive summary"] == "3"
    for title in ("Section 1 title", "Section 2 title", "Section 3 title", "Appendix: RAG ratings"):
        page = pages[int(listed[title]) - 1]
        assert title in page and f"{title} (continued)" not in page and title not in pages[int(listed[title]) - 2]
    with pikepdf.open(pdf) as doc:
        targets = [doc.pages.index(pikepdf.Page(a.Dest[0])) + 1 for a in doc.pages[1].obj.Annots]
        assert targets[0] == 3 and targets[-1] == int(listed["Appendix: RAG ratings"])
        assert int(listed["Section 2 title"]) in targets
        with doc.open_outline() as outline:
            top = [item.title for item in outline.root]
            plan_item = next(item for item in outline.root if item.title == "8. The full plan")
            sections = [child.title for child in plan_item.children]
            areas = [grandchild.title for grandchild in plan_item.children[0].children]
        assert top[1:4] == ["1. Executive summary", "2. Changes since the previous pack", "3. Exceptions"]
        assert sections[:2] == ["1. Section 1 title", "1. Section 1 title (continued)"]
        assert "3. Section 3 title" in sections and areas == ["1.1 Area 1.1"]


def test_parts_laid_out_in_worker_processes_give_the_same_bytes(sqlite_url: str, clock: FixedClock,
                                                                small_parts: None) -> None:
    data = pack_for(sqlite_url, plan(sections=2, areas=1, per_area=6))
    here = render_pdf(data, InProcess())
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert render_pdf(data, pool) == here


def test_a_long_no_update_list_is_shown_per_owner(sqlite_url: str, clock: FixedClock, tmp_path: Path) -> None:
    data = pack_for(sqlite_url, plan(sections=3, areas=2, per_area=8, stale_owners=4))
    assert len(data.exceptions.stale) == 48 > 40
    groups = data.exceptions.stale_by_owner
    assert groups is not None and [len(g.refs) for g in groups] == [12, 12, 12, 12]
    assert sorted(r for g in groups for r in g.refs) == sorted(f.action.ref for f in data.exceptions.stale)
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(render_pdf(data, InProcess()))
    text = "\n".join(page_texts(pdf))
    assert "48 open actions have had no update for 30 days" in text
    assert re.search(r"Owner 0\s+12\s+1\.1a, 1\.1e", text)
    table = next(t for t in Document(io.BytesIO(render_docx(data))).tables if t.rows[0].cells[0].text == "Owner")
    assert [c.text for c in table.rows[1].cells][:2] == ["Owner 0", "12"]


def test_a_contents_longer_than_a_page_still_gives_the_right_numbers(sqlite_url: str, clock: FixedClock,
                                                                    tmp_path: Path) -> None:
    data = pack_for(sqlite_url, plan(sections=70, areas=1, per_area=1))
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(render_pdf(data, InProcess()))
    pages = page_texts(pdf)
    assert "Contents" in pages[1] and "Section 70 title" in pages[2]  # two pages of contents
    listed = dict(re.findall(r"(Section \d+ title|\d\. Executive summary)[ .]+(\d+)\s*$", pages[1] + pages[2], re.M))
    assert listed["1. Executive summary"] == "4" and "1. Executive summary" in pages[3]
    assert "70. Section 70 title" in pages[int(listed["Section 70 title"]) - 1]
    assert f"Page 2 of {len(pages)}" in pages[1] and f"Page 4 of {len(pages)}" in pages[3]
