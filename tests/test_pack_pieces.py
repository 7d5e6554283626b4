"""A big pack is laid out in pieces (so Typst's memory stays bounded) and joined into one
tagged PDF that reads like the pack laid out whole: the same chapters and bookmarks, a
contents page whose numbers and links find their headings, "Page N of M" on every page
but the cover (as an artifact, not read out), one structure tree that passes the PDF/UA
checks, and the same bytes when built again.

Forced on seed 000 with a small budget: real Typst, pikepdf and poppler.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest

from planwarden.core.clock import FixedClock
from planwarden.core.config import load_config
from planwarden.core.db import session_scope
from planwarden.importing import import_file
import pdfua
from planwarden.pack import pdfjoin, typeset, volumes
from planwarden.pack.build import prepare, request_for
from planwarden.pack.document import Chapter, Document, board_pack, heading, para, table

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "examples" / "jtai"
SEED = EXAMPLE / "plan" / "000_3a816ad8139d38e0.txt"
UTC = dt.timezone.utc
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
BUDGET = 30_000  # seed 000's pack is ~125,000 characters: four or five pieces


def pages_text(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return out.split("\f")[:-1]


def outline(pdf: pikepdf.Pdf) -> list[tuple[int, str, int]]:
    """(level, title, page index) of every bookmark, depth first."""
    pages = {p.objgen: i for i, p in enumerate(pdf.pages)}
    found: list[tuple[int, str, int]] = []

    def walk(items: list[pikepdf.OutlineItem], level: int) -> None:
        for item in items:
            found.append((level, str(item.title), pages[item.destination[0].objgen]))
            walk(item.children, level + 1)

    with pdf.open_outline() as o:
        walk(o.root, 1)
    return found


@pytest.fixture()
def seed_pack(jtai_env: str, clock: FixedClock) -> tuple[object, dict[str, str]]:
    config = load_config()
    with session_scope(jtai_env) as session:
        import_file(session, config, SEED, "jtai")
    clock.set(dt.datetime(2023, 1, 5, 9, tzinfo=UTC))
    with session_scope(jtai_env) as session:
        data = prepare(session, config, request_for(session, config, "jtai", dt.date(2022, 12, 31)))
    return board_pack(data), typeset.chart_svgs(typeset.drawn(data, ("svg",)))


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_pack_laid_out_in_pieces_reads_like_the_whole(seed_pack: tuple[object, dict[str, str]],
                                                        tmp_path: Path) -> None:
    doc, svgs = seed_pack
    assert len(volumes.bodies(doc.chapters, BUDGET)) >= 3  # type: ignore[attr-defined]
    whole_pdf, joined_pdf = tmp_path / "whole.pdf", tmp_path / "joined.pdf"
    whole_pdf.write_bytes(typeset.typeset(doc, svgs))  # type: ignore[arg-type]
    joined = typeset.typeset(doc, svgs, budget=BUDGET)  # type: ignore[arg-type]
    joined_pdf.write_bytes(joined)

    # one tagged document that passes the PDF/UA checks, with the whole one's metadata
    assert pdfua.problems(joined_pdf) == []
    with pikepdf.open(whole_pdf) as whole, pikepdf.open(joined_pdf) as pdf:
        assert str(pdf.Root.Lang) == "en-GB" and pdf.docinfo["/Title"] == whole.docinfo["/Title"]
        with pdf.open_metadata() as xmp:
            assert str(xmp.get("pdfuaid:part")) == "1"
        marks, whole_marks = outline(pdf), outline(whole)
        count = len(pdf.pages)
    # the same bookmarks, nested the same way (a continued chapter adds no bookmark)
    assert [(level, title) for level, title, _ in marks] == [(level, title) for level, title, _ in whole_marks]

    # every bookmark's page has its heading; the contents list each chapter and section
    # with the page number its link goes to
    text = pages_text(joined_pdf)
    assert len(text) == count
    for level, title, page in marks:
        assert title in " ".join(text[page].split()), (title, page)
    contents = " ".join(text[1].split())
    with pikepdf.open(joined_pdf) as pdf:
        pages = {p.objgen: i for i, p in enumerate(pdf.pages)}
        links = [pages[a.Dest[0].objgen] for a in pdf.pages[1].obj.Annots if a.Subtype == pikepdf.Name.Link]
    listed = [(title, page) for level, title, page in marks if level <= 2]
    assert links == [page for _, page in listed]
    for title, page in listed:
        assert re.search(re.escape(title) + r" [. ]*" + str(page + 1) + r"\b", contents), title

    # "Page N of M" on every page but the cover, drawn as an artifact: not in the tree's text
    assert "Page 1 of" not in text[0]
    for n, page_text in enumerate(text[1:], start=2):
        assert f"Page {n} of {count}" in page_text
    done = subprocess.run(["pdfinfo", "-struct-text", str(joined_pdf)], check=True, capture_output=True, text=True)
    structure = done.stdout
    assert "Error" not in done.stderr, done.stderr  # poppler finds nothing wrong with the joined file
    assert "Page 2 of" not in structure and "(continued)" in structure

    # the reading order: the cover first, in order, then the chapters as in the whole pack
    said = " ".join(re.findall(r'"([^"]*)"', structure.split('"Contents"')[0]))
    order = ["CHESHIRE EAST SAFEGUARDING", "JTAI Action Plan", "Board pack", "0 Red", "42 Amber", "77 Actions"]
    positions = [said.find(s) for s in order]
    assert -1 not in positions and positions == sorted(positions), said[:400]
    assert [e.kind for e in pdfua.elements(joined_pdf)][:8] == [e.kind for e in pdfua.elements(whole_pdf)][:8]

    assert EMAIL.findall(" ".join(text)) == []
    assert typeset.typeset(doc, svgs, budget=BUDGET) == joined  # type: ignore[arg-type]  # rebuilt: the same bytes


def test_cuts_fall_before_headings_keep_headings_together_and_split_long_tables() -> None:
    rows = [[f"{n}", "x" * 50] for n in range(450)]
    chapters = [
        Chapter("a", "1. First", [heading(2, "One"), para("a" * 300), heading(2, "Two"), para("b" * 300)]),
        Chapter("b", "2. Second", [heading(2, "Big"), table(["Ref", "Text"], rows, [20, 100], foot=["Total", "450"])]),
        Chapter("c", "3. Third", [heading(2, "Section"), para("Two areas."), heading(3, "Area"),
                                  table(["Ref", "Text"], [["c", "c" * 300]], [20, 100]),
                                  heading(3, "Area two"), table(["Ref", "Text"], [["d", "d" * 300]], [20, 100])]),
    ]
    parts = volumes.bodies(chapters, budget=700)
    for part in parts:  # a piece never ends on a heading
        assert part[-1]["blocks"][-1]["kind"] != "heading"
    tables = [b for part in parts for ch in part for b in ch["blocks"] if b["kind"] == "table"]
    assert [len(t["rows"]) for t in tables[:3]] == [200, 200, 50]  # cut at multiples of the template's chunks
    assert [t["foot"] for t in tables[:3]] == [None, None, ["Total", "450"]]  # the total only at the end
    second = [ch for part in parts for ch in part if ch["key"] == "b"]
    assert [c["continued"] for c in second] == [False, True, True]
    assert [c["context"] for c in second] == [[], ["Big"], ["Big"]]  # the section goes on: its heading repeats
    third = [ch for part in parts for ch in part if ch["key"] == "c"]
    assert [b["kind"] for b in third[0]["blocks"]] == ["heading", "para", "heading", "table"]  # a title stays with what follows
    assert len(third) == 2 and third[1]["context"] == ["Section"]  # goes on inside the section: it repeats
    headings = [h for part in parts for h in volumes.headings(part)]
    assert headings == [(1, "1. First"), (2, "One"), (2, "Two"), (1, "2. Second"), (2, "Big"), (1, "3. Third"),
                        (2, "Section"), (3, "Area"), (3, "Area two")]
    first = [ch for part in parts for ch in part if ch["key"] == "a"]
    assert len(first) == 1  # headings and paragraphs alone are never cut apart  # each once, repeats not bookmarked
    assert len(volumes.bodies(chapters, budget=10**9)) == 1


def test_ids_get_their_pieces_letter_only_where_typst_writes_ids() -> None:
    raw = (b"<</S/TH/ID(U3x0y1)/A[<</O/Table/Headers[(U3x0y0)(U3x1y0)]>>]>>"
           b"<</Names[(U3x0y1)12 0 R(U3x1y0)13 0 R]>><</Title(U3x0y1)/Alt(see (U1x2y3) here)>>")
    out = pdfjoin.with_piece_ids(raw, 2)
    assert len(out) == len(raw)  # the cross-reference offsets stay right
    assert out.count(b"(C3x") == 5  # the /ID, both /Headers and both id tree names
    assert b"/Title(U3x0y1)" in out and b"(see (U1x2y3) here)" in out  # people's words untouched


def test_the_pdf_ua_check_finds_a_cell_naming_a_header_that_is_not_there(tmp_path: Path) -> None:
    chapters = [Chapter("t", "1. Table", [table(["Ref", "Text"], [["1", "one"], ["2", "two"]], [20, 100])])]
    doc = board_pack_like(chapters)
    good = tmp_path / "good.pdf"
    good.write_bytes(typeset.typeset(doc))
    assert pdfua.problems(good) == []
    with pikepdf.open(good) as pdf:
        names = pdf.Root.StructTreeRoot.IDTree.Names
        names[0] = pikepdf.String("nobody")  # the id tree loses a header cell's id
        bad = tmp_path / "bad.pdf"
        pdf.save(bad)
    assert any("names a header cell that is not there" in p for p in pdfua.problems(bad))


def board_pack_like(chapters: list[Chapter]) -> Document:
    cover = {"partnership": "Test partnership", "title": "Plan", "kind": "Board pack", "meeting": "",
             "as_of": "31 December 2022", "tiles": [], "total": 0, "facts": [], "note": ""}
    return Document(title="Plan — board pack", header="Plan", footer="Position", cover=cover,
                    chapters=chapters, author="Test partnership", subject="Board pack",
                    moment=dt.datetime(2022, 12, 31, 23, 59, tzinfo=UTC))


def test_a_joined_file_is_sound_pdf_with_each_pieces_bookmarks_in_order() -> None:
    # qpdf reads back what the join wrote with no repair
    chapters = [Chapter(k, f"{n}. Chapter {k}", [heading(2, f"Part {k}"), para(("words " * 60).strip())])
                for n, k in enumerate("abcd", start=1)]
    pdf = typeset.typeset(board_pack_like(chapters), budget=500)
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert doc.check_pdf_syntax() == []
        assert [(level, title) for level, title, _ in outline(doc)] == [
            (level, f"{n}. Chapter {k}" if level == 1 else f"Part {k}")
            for n, k in enumerate("abcd", start=1) for level in (1, 2)]


def test_a_piece_typst_refuses_is_an_error_naming_the_pack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "pack.typ"
    broken.write_text('#let d = json(bytes(sys.inputs.doc))\n#if d.mode == "body" { panic("no such block kind") }\n')
    monkeypatch.setattr(typeset, "TEMPLATE", broken)
    chapters = [Chapter(k, f"{n}. Chapter {k}", [heading(2, f"Part {k}"), para(("words " * 60).strip())])
                for n, k in enumerate("abcd", start=1)]
    with pytest.raises(typeset.TypesetError, match="Plan — board pack.*no such block kind"):
        typeset.typeset(board_pack_like(chapters), budget=500)
