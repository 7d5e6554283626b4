"""Building the board pack: the real seed plan, rebuilds, snapshots and bad input."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from planwarden.core.clock import FixedClock
from planwarden.core.config import DirectoryConfig, PlanConfig, load_config
from planwarden.core.db import session_scope
from planwarden.plan.directory import Directory
from planwarden.importing import import_file
from planwarden.importing.parsed import ParsedAction, ParsedArea, ParsedPlan, ParsedSection
from planwarden.plan.models import Action, ProgressUpdate
from planwarden.pack.build import build, parse_month, request_for
from planwarden.pack.models import PackSnapshot
from planwarden.pack.state import PackError
from planwarden.importing.writer import PlanWriter

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "examples" / "jtai"

SEED = EXAMPLE / "plan" / "000_3a816ad8139d38e0.txt"
UTC = dt.timezone.utc
pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils (pdftotext)")


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def docx_text(path: Path) -> str:
    from docx import Document

    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    return "\n".join(parts)


def build_pack(url: str, plan_key: str, as_of: dt.date) -> object:
    config = load_config()
    with session_scope(url) as session:
        return build(session, config, request_for(session, config, plan_key, as_of))


@pytest.fixture
def seeded(jtai_env: str, clock: FixedClock) -> str:
    config = load_config()
    with session_scope(jtai_env) as session:
        summary = import_file(session, config, SEED, "jtai")
    assert summary.created == 77
    clock.set(dt.datetime(2023, 1, 5, 9, tzinfo=UTC))
    return jtai_env


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_seed_pack_holds_every_action_counts_contents_and_chart(seeded: str) -> None:
    built = build_pack(seeded, "jtai", parse_month("2022-12"))
    assert built.snapshot.as_of == dt.date(2022, 12, 31)
    assert built.snapshot.counts["green"] == 35 and built.snapshot.counts["amber"] == 42
    text = pdf_text(built.pdf)
    with session_scope(seeded) as session:
        refs = list(session.scalars(select(Action.ref)))
    assert len(refs) == 77
    missing = [r for r in refs if r not in text]
    assert missing == []
    assert "Contents" in text and "Executive summary" in text and "Figure 1" in text
    # the cover tiles' reading order ("35 Green") is checked on the structure tree (test_pack_accessible)
    contents = text.split("Contents", 1)[1].split("1. Executive summary", 2)[1]
    assert contents.split("\n")[0].strip().endswith("3")  # its page number
    words = docx_text(built.docx)
    assert [r for r in refs if r not in words] == []
    assert "Contents" in words and "RAG by section" in words
    with zipfile.ZipFile(built.docx) as z:
        assert any(n.startswith("word/media/") and n.endswith(".png") for n in z.namelist())
        assert {i.date_time for i in z.infolist()} == {(2022, 12, 31, 23, 59, 58)}  # zip keeps even seconds
    info = subprocess.run(["pdfinfo", str(built.pdf)], capture_output=True, text=True).stdout
    assert "A4" in info and "CreationDate:    Sat Dec 31 23:59:59 2022 UTC" in info


def test_rebuilding_a_past_month_is_identical_and_stored_once(seeded: str, clock: FixedClock) -> None:
    first = build_pack(seeded, "jtai", dt.date(2022, 12, 31))
    clock.advance(days=40)
    again = build_pack(seeded, "jtai", dt.date(2022, 12, 31))
    assert again.snapshot.sha256 == first.snapshot.sha256 and not again.new
    assert again.pdf.read_bytes() == first.pdf.read_bytes() and again.docx.read_bytes() == first.docx.read_bytes()
    with session_scope(seeded) as session:
        assert session.scalar(select(func.count()).select_from(PackSnapshot)) == 1
    assert first.pdf.parent == load_config().data_dir / "packs" / "jtai" / "2022-12"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_month_before_the_plan_existed_is_a_clear_error(seeded: str) -> None:
    with pytest.raises(PackError, match="no recorded state before 14 December 2022"):
        build_pack(seeded, "jtai", parse_month("2022-11"))


# --------------------------------------------------------------------------- bad input, small plans


def write(url: str, parsed: ParsedPlan) -> None:
    with session_scope(url) as session:
        PlanWriter(session, PlanConfig(key="t"), Directory(DirectoryConfig()), actor="test", source="manual",
                   source_ref="t").write(parsed)


def test_a_plan_with_no_actions_gives_a_pack(sqlite_url: str, clock: FixedClock) -> None:
    write(sqlite_url, ParsedPlan("Empty plan", dt.date(2022, 12, 14), [ParsedSection("1", "Nothing yet")], []))
    built = build_pack(sqlite_url, "t", dt.date(2022, 12, 14))
    text = pdf_text(built.pdf)
    assert "This section has no areas or actions." in text
    assert built.snapshot.counts["total"] == 0


def test_long_history_long_text_and_a_section_without_areas(sqlite_url: str, clock: FixedClock) -> None:
    long_text = "Very long progress. " * 400
    write(sqlite_url, ParsedPlan("Big", dt.date(2022, 12, 1), [
        ParsedSection("1", "With areas", [ParsedArea("1.1", "Area")]), ParsedSection("2", "No areas")],
        [ParsedAction("1.1a", "An action " * 300, "Owner", "", dt.date(2023, 1, 31), [], "amber", "First.", "1", "1.1"),
         ParsedAction("2a", "Section-level action", "Owner", "", None, [], "red", "", "2", None)]))
    with session_scope(sqlite_url) as session:
        action = session.scalars(select(Action).where(Action.ref == "1.1a")).one()
        for i in range(50):
            action.updates.append(ProgressUpdate(date=dt.date(2022, 12, 1) + dt.timedelta(days=i % 13),
                                                 text=f"Update {i}: {long_text}", rag="amber", source="email",
                                                 created_at=clock.now()))
    built = build_pack(sqlite_url, "t", dt.date(2022, 12, 14))
    text = pdf_text(built.pdf)
    assert "Update 49:" in text and "Update 0:" in text and "2a" in text and "No areas" in text
    assert "Progress (51 updates)" in docx_text(built.docx)


def test_text_in_any_script_renders_with_real_glyphs(sqlite_url: str, clock: FixedClock) -> None:
    welsh, urdu = "Gwasanaethau ŵyr a ŷd — café naïve", "بچوں کی حفاظت کے لیے منصوبہ"
    write(sqlite_url, ParsedPlan("Cynllun", dt.date(2022, 12, 1), [ParsedSection("1", "Lleisiau plant",
                                                                                  [ParsedArea("1.1", "Ymarfer")])],
                                 [ParsedAction("1.1a", f"{welsh} {urdu}", "Perchennog", "", None, [], "green",
                                               f"{urdu}. <script>alert(1)</script>", "1", "1.1")]))
    built = build_pack(sqlite_url, "t", dt.date(2022, 12, 14))
    fonts = subprocess.run(["pdffonts", str(built.pdf)], capture_output=True, text=True).stdout
    assert "Arabic" in fonts  # the Urdu text found a font with its glyphs
    text = pdf_text(built.pdf)
    assert "ŵyr a ŷd" in text and "café naïve" in text
    assert "<script>alert(1)</script>" in text  # shown as text, not run as markup
    assert "<script>" in docx_text(built.docx)


def test_stored_markup_is_shown_as_text_in_both_documents(sqlite_url: str, clock: FixedClock) -> None:
    """HTML or Typst in a plan's text is the author's words: shown, never obeyed."""
    write(sqlite_url, ParsedPlan("P", dt.date(2022, 12, 1), [ParsedSection("1", "S <b>bold</b> #strong[x]", [])],
                                 [ParsedAction("1a", "<img src=x onerror=alert(1)>", "O", "", None, [], "red",
                                               "<script>x</script> *not bold* $x^2$", "1", None)]))
    built = build_pack(sqlite_url, "t", dt.date(2022, 12, 14))
    pdf, docx = " ".join(pdf_text(built.pdf).split()), docx_text(built.docx)  # type: ignore[attr-defined]
    for shown in ("<img src=x onerror=alert(1)>", "S <b>bold</b> #strong[x]", "<script>x</script> *not bold* $x^2$"):
        assert shown in pdf and shown in docx


def test_a_future_day_and_a_bad_month_are_refused(sqlite_url: str, clock: FixedClock) -> None:
    write(sqlite_url, ParsedPlan("P", dt.date(2022, 12, 1), [], []))
    with pytest.raises(PackError, match="after today"):
        build_pack(sqlite_url, "t", dt.date(2023, 1, 31))
    with pytest.raises(PackError, match="2022-12"):
        parse_month("December")


def test_docx_and_pdf_bytes_do_not_depend_on_the_clock(sqlite_url: str, clock: FixedClock) -> None:
    write(sqlite_url, ParsedPlan("P", dt.date(2022, 12, 1), [ParsedSection("1", "S", [])],
                                 [ParsedAction("1a", "Act", "O", "", dt.date(2022, 12, 2), [], "red", "x", "1", None)]))
    clock.set(dt.datetime(2022, 12, 20, 9, tzinfo=UTC))
    first = build_pack(sqlite_url, "t", dt.date(2022, 12, 15))
    clock.set(dt.datetime(2024, 3, 1, 9, tzinfo=UTC))
    again = build_pack(sqlite_url, "t", dt.date(2022, 12, 15))
    assert first.snapshot.sha256 == again.snapshot.sha256
    with zipfile.ZipFile(io.BytesIO(again.docx.read_bytes())) as z:
        core = z.read("docProps/core.xml").decode()
    assert "2022-12-15T23:59:59Z" in core


def test_quarantined_replies_are_listed_until_resolved(sqlite_url: str, clock: FixedClock) -> None:
    from planwarden.replies.models import InboundMessage

    write(sqlite_url, ParsedPlan("P", dt.date(2022, 12, 1), [ParsedSection("1", "S", [])],
                                 [ParsedAction("1a", "Act", "O", "", None, [], "amber", "x", "1", None)]))
    with session_scope(sqlite_url) as session:
        for i, resolved in enumerate((None, dt.datetime(2022, 12, 13, tzinfo=UTC))):
            session.add(InboundMessage(message_id=f"<q{i}@x>", received_at=dt.datetime(2022, 12, 12, tzinfo=UTC),
                                       sender=f"someone{i}@example.org", sender_name="Some <One>",
                                       subject=f"Re: 1a <b>{i}</b>", raw=b"", outcome="quarantined",
                                       reason="not an owner", plan_key="t", resolved_at=resolved))
    built = build_pack(sqlite_url, "t", dt.date(2022, 12, 14))
    assert [q["subject"] for q in built.data.exceptions.quarantined] == ["Re: 1a <b>0</b>"]
    assert "1 reply from email held for the secretary" in pdf_text(built.pdf)
    assert built.annex is not None and "Re: 1a <b>0</b>" in pdf_text(built.annex)  # details: the annex only
    assert "someone0@example.org" not in pdf_text(built.pdf) + docx_text(built.docx)


def test_who_has_not_updated_since_their_reminder(sqlite_url: str, clock: FixedClock) -> None:
    from planwarden.reminders.models import ReminderLog

    clock.set(dt.datetime(2022, 12, 1, 9, tzinfo=UTC))
    write(sqlite_url, ParsedPlan("P", dt.date(2022, 12, 1), [ParsedSection("1", "S", [])],
                                 [ParsedAction("1a", "Act", "O", "", dt.date(2022, 12, 20), [], "amber", "x", "1", None),
                                  ParsedAction("1b", "Act", "O", "", dt.date(2022, 12, 20), [], "amber", "x", "1", None)]))
    with session_scope(sqlite_url) as session:
        ids = {a.ref: a.id for a in session.scalars(select(Action))}
        for ref in ("1a", "1b"):
            session.add(ReminderLog(plan_key="t", action_id=ids[ref], ref=ref, stage="ahead-14", kind="ahead",
                                    due=dt.date(2022, 12, 20), due_key="2022-12-20", occurrence=0,
                                    sent_on=dt.date(2022, 12, 6), message_ids=[],
                                    recipients=[{"to": ["pat@example.org"], "cc": []}],
                                    created_at=dt.datetime(2022, 12, 6, 8, tzinfo=UTC)))
        action = session.get(Action, ids["1b"])
        action.updates.append(ProgressUpdate(date=dt.date(2022, 12, 8), text="Replied.", source="email",
                                             created_at=dt.datetime(2022, 12, 8, 9, tzinfo=UTC)))
    clock.set(dt.datetime(2022, 12, 15, 9, tzinfo=UTC))
    built = build_pack(sqlite_url, "t", dt.date(2022, 12, 14))
    [row] = built.data.not_updated
    assert (row.email, row.refs, row.last_reminded, row.days) == ("pat@example.org", ("1a",), dt.date(2022, 12, 6), 8)
