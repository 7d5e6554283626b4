"""Long lists in the pack: "who has not updated" grouped per owner when it is long, and
a contents longer than a page that still gives the right page numbers.

(How a big pack is cut into pieces and joined is tests/test_pack_pieces.py.)
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document

from planwarden.core.clock import FixedClock
from planwarden.core.config import DirectoryConfig, PlanConfig, load_config
from planwarden.core.db import session_scope
from planwarden.plan.directory import Directory
from planwarden.importing.parsed import ParsedAction, ParsedArea, ParsedPlan, ParsedSection
from planwarden.pack.build import prepare, render, request_for
from planwarden.pack.compute import PackData
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


def test_a_long_no_update_list_is_shown_per_owner(sqlite_url: str, clock: FixedClock, tmp_path: Path) -> None:
    data = pack_for(sqlite_url, plan(sections=3, areas=2, per_area=8, stale_owners=4))
    assert len(data.exceptions.stale) == 48 > 40
    groups = data.exceptions.stale_by_owner
    assert groups is not None and [len(g.refs) for g in groups] == [12, 12, 12, 12]
    assert sorted(r for g in groups for r in g.refs) == sorted(f.action.ref for f in data.exceptions.stale)
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(render(data)[0])
    text = "\n".join(page_texts(pdf))
    assert "48 open actions have had no update for 30 days" in text
    assert re.search(r"Owner 0\s+12\s+1\.1a, 1\.1e", text)
    table = next(t for t in Document(io.BytesIO(render(data)[1])).tables if t.rows[0].cells[0].text == "Owner")
    assert [c.text for c in table.rows[1].cells][:2] == ["Owner 0", "12"]


def test_a_contents_longer_than_a_page_still_gives_the_right_numbers(sqlite_url: str, clock: FixedClock,
                                                                    tmp_path: Path) -> None:
    data = pack_for(sqlite_url, plan(sections=70, areas=1, per_area=1))
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(render(data)[0])
    pages = page_texts(pdf)
    assert "Contents" in pages[1] and "Section 70 title" in pages[2]  # two pages of contents
    listed = dict(re.findall(r"(Section \d+ title|\d\. Executive summary)[ .\u2060]+(\d+)\s*$", pages[1] + pages[2], re.M))
    assert listed["1. Executive summary"] == "4" and "1. Executive summary" in pages[3]
    assert "70. Section 70 title" in pages[int(listed["Section 70 title"]) - 1]
    assert f"Page 2 of {len(pages)}" in pages[1] and f"Page 4 of {len(pages)}" in pages[3]


def test_a_progress_label_never_ends_a_page_without_its_words(sqlite_url: str, clock: FixedClock,
                                                             tmp_path: Path) -> None:
    """Long updates of varied length break across pages at every point of a row; the
    "Progress" label and an update's date line always go over with the first lines."""
    parsed = plan(sections=1, areas=2, per_area=26)
    words = "Multi-agency audit of strategy discussions completed and reported to the partnership. "
    for n, action in enumerate(parsed.actions):
        action.progress = words * (2 + (n * 7) % 5)
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(render(pack_for(sqlite_url, parsed))[0])
    pages = page_texts(pdf)
    plan_pages = [p for p in pages if "Multi-agency audit" in p]
    assert len(plan_pages) >= 5  # enough page breaks inside rows to catch a stranded label
    for page in plan_pages:
        body = [line for line in page.splitlines() if line.strip() and "Position as at" not in line]
        assert not re.match(r"\s*(Progress \(\d+ update|\d+ \w+ \d{4} · )", body[-1]), body[-3:]
