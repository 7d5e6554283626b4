"""Typst lays out each pack document in a child process (its caches, the whole laid-out
document, end with the child): the PDF comes back whole, and a template mistake comes
back as a clear error carrying Typst's own diagnostic. Real Typst, real processes."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pikepdf
import pytest

from planwarden.pack import typeset
from planwarden.pack.document import Chapter, Document, heading, para


def small_doc() -> Document:
    cover = {"partnership": "Test partnership", "title": "Plan", "kind": "Board pack", "meeting": "",
             "as_of": "31 December 2022", "tiles": [], "total": 0, "facts": [], "note": ""}
    return Document(title="Plan — board pack", header="Plan", footer="Position", cover=cover,
                    chapters=[Chapter("summary", "1. Summary", [heading(2, "Where we are"), para("All well.")])],
                    author="Test partnership", subject="Board pack",
                    moment=dt.datetime(2022, 12, 31, 23, 59, tzinfo=dt.timezone.utc))


def test_a_child_lays_out_the_document_as_tagged_pdf() -> None:
    pdf = typeset.typeset(small_doc())
    assert pdf.startswith(b"%PDF-")
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert "/StructTreeRoot" in doc.Root
        assert str(doc.docinfo["/Title"]) == "Plan — board pack"
    assert typeset.typeset(small_doc()) == pdf  # a rebuild is byte-identical


def test_a_template_mistake_is_an_error_with_typsts_diagnostic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = tmp_path / "pack.typ"
    broken.write_text('#let d = json(bytes(sys.inputs.doc))\n#panic("no such block kind")\n')
    monkeypatch.setattr(typeset, "TEMPLATE", broken)
    with pytest.raises(typeset.TypesetError, match="Plan — board pack.*no such block kind"):
        typeset.typeset(small_doc())


def test_the_child_stays_warm_until_it_holds_too_much_then_is_replaced() -> None:
    request = typeset.request(small_doc())
    keeper, recycler = typeset.Worker(limit_mb=10_000), typeset.Worker(limit_mb=0)
    try:
        assert keeper.compile(request)[0] == 0
        first = keeper.proc
        assert keeper.compile(request)[0] == 0 and keeper.proc is first  # warm: the same child again
        status, pdf = recycler.compile(request)
        assert status == 0 and pdf.startswith(b"%PDF-")
        assert recycler.proc is None  # over its bound: ended, its memory back to the system
        assert first is not None
        first.kill()
        first.wait()
        assert keeper.compile(request)[0] == 0 and keeper.proc is not first  # a dead child is replaced
    finally:
        keeper.close()
        recycler.close()



def test_a_spare_child_waits_for_the_next_fresh_compile() -> None:
    # a big pack's pieces each take a fresh child; the next one is already started
    request = typeset.request(small_doc())
    worker = typeset.Worker(spare=True)
    try:
        assert worker.compile(request, fresh=True)[0] == 0
        spare = worker.spare
        assert worker.proc is None and spare is not None and spare.poll() is None  # ended; the next one waits
        assert worker.compile(request, fresh=True)[0] == 0
        assert spare.poll() is not None  # the spare did that compile and ended
        assert worker.spare is not None and worker.spare is not spare
    finally:
        worker.shutdown()
    assert worker.spare is None and worker.proc is None
