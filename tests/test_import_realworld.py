"""A checker replaying the plans partnerships actually hold, through ``planwarden import``.

Every file is generated here (openpyxl, python-docx, LibreOffice for PDF, Pillow for a
scan) in the awkward shapes real plans take: title rows above a header over two rows,
priority headings with a ref, totals rows, colours instead of words, Track Changes,
several tables, rows split over a page break, encrypted workbooks. Each test runs the
command a secretary would and checks what they would see: the actions as stored, the
summary's warnings, or one clear line naming the file when it cannot be read.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from openpyxl import Workbook
from openpyxl.styles import PatternFill

from planwarden.cli import main
from planwarden.importing import read_document

Run = Callable[..., tuple[int, Any, str]]


@pytest.fixture
def run(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """``planwarden ARGS`` on a fresh store: (exit code, JSON or text output, stderr)."""
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)

    def _run(*args: str) -> tuple[int, Any, str]:
        code = main(list(args))
        out = capsys.readouterr()
        data = json.loads(out.out) if "--json" in args and out.out.strip() else out.out
        return code, data, out.err
    return _run


def _actions(run: Run, plan: str = "p") -> dict[str, dict[str, Any]]:
    code, rows, err = run("actions", "--plan", plan, "--json")
    assert code == 0, err
    return {r["ref"]: r for r in rows}


def _messages(summary: dict[str, Any]) -> str:
    return "\n".join(f"{w['ref']} {w['field']} {w['message']}" for w in summary["warnings"])


def _save(book: Workbook, path: Path) -> Path:
    book.save(path)
    return path


# --------------------------------------------------------------------------- Excel


def _council_workbook(path: Path) -> Path:
    """A plan as a council's performance team keeps it: logo and title rows, a header over two
    rows ("Progress" merged over "Update" and "RAG"), priority rows with a ref, refs of every
    shape, dates of every kind, a blank row between priorities and a totals row."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Plan"
    for row in [
        [None],  # the logo sits over this row
        ["Safeguarding Children Partnership – Improvement plan 2024/25"],
        ["Version 3, updated by the business unit"],
        ["Ref", "Action", "Lead", "Due", "Progress", None],
        [None, None, None, None, "Update", "RAG"],
        ["1", "Priority 1: Early help"],
        ["1.1", "Launch the early help assessment", "Jane Smith (Head of EH)", dt.datetime(2024, 3, 31), "Live", "G"],
        ["1.1a", "Train the family hubs", "A. Jones / B. Patel", 45382, "", "Amber/Green"],
        [None],
        ["2", "Priority 2: Neglect"],
        ["2.1", "Adopt the graded care profile", "Head of Service", "31/03/2024", "Drafted", "R"],
        ["R2.4", "Audit neglect cases", "Designated Nurse", "March 2024", "", "Amber"],
        ["Action 3", "Publish the annual report", "Business Manager", "Q3 2024/25", "", "Complete"],
        ["2.5", "Review thresholds", "MASH Manager", "Ongoing", "", "A"],
        ["2.6", "Refresh the escalation policy", "Board Manager", "TBC", "", "Red"],
        [None, "Total actions", None, None, None, 7],
    ]:
        ws.append(row)
    for cells in ("A4:A5", "B4:B5", "C4:C5", "D4:D5", "E4:F4"):
        ws.merge_cells(cells)
    ws.merge_cells("B6:F6")
    return _save(book, path)


def test_excel_with_title_rows_a_two_row_header_priority_rows_and_a_totals_row(tmp_path: Path, run: Run) -> None:
    plan = _council_workbook(tmp_path / "improvement plan.xlsx")
    code, preview, err = run("import", str(plan), "--plan", "p", "--dry-run", "--json")
    assert code == 0, err
    assert preview["actions"] == 7 and preview["created"] == 0
    assert preview["columns"][0]["mapping"] == {"Ref": "ref", "Action": "action", "Lead": "owner", "Due": "due",
                                                "Update": "progress", "RAG": "rag"}
    code, _, err = run("actions", "--plan", "p")
    assert code == 2 and "no plan 'p' has been imported" in err  # a dry run writes nothing

    code, summary, err = run("import", str(plan), "--plan", "p", "--json")
    assert code == 0 and summary["created"] == 7, err
    rows = _actions(run)
    assert list(rows) == ["1.1", "1.1a", "2.1", "R2.4", "Action 3", "2.5", "2.6"]  # no "1", "2" or "Total"
    got = {ref: (r["due"], r["rag"], r["complete"]) for ref, r in rows.items()}
    assert got == {"1.1": ("2024-03-31", "green", True), "1.1a": ("2024-03-31", "amber", False),
                   "2.1": ("2024-03-31", "red", False), "R2.4": ("2024-03-31", "amber", False),
                   "Action 3": ("2024-12-31", "green", True), "2.5": (None, "amber", False),
                   "2.6": (None, "red", False)}
    assert rows["1.1"]["section"] == "1. Early help" and rows["2.1"]["section"] == "2. Neglect"
    assert rows["1.1"]["owner_text"] == "Jane Smith (Head of EH)"
    assert rows["1.1a"]["owner_text"] == "A. Jones / B. Patel"
    assert rows["1.1a"]["due_text"] == "31 March 2024"  # an Excel day number shown as the date, not 45382
    assert rows["Action 3"]["text"] == "Publish the annual report"  # the totals row is not glued on
    messages = _messages(summary)
    assert "'Total actions' read as a totals row" in messages
    assert "'Priority 1: Early help' has a ref but only a title" in messages
    assert "'Amber/Green' is between two ratings: read as the lower, Amber" in messages
    assert "'Ongoing' gives no due date" in messages and "'TBC' gives no due date" in messages

    code, again, _ = run("import", str(plan), "--plan", "p", "--json")
    assert (code, again["created"], again["updated"]) == (0, 0, 0)
    assert _actions(run) == rows


def test_bands_across_a_sheet_with_plain_numbered_refs_are_its_sections(tmp_path: Path, run: Run) -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    for row in [["Ref", "Action", "Owner", "Due", "RAG"], ["Early help"], ["1", "Launch the assessment", "DSL",
                "May 2024", "G"], ["2", "Train the hubs", "DSL", "June 2024", "A"], ["Neglect"],
                ["3", "Adopt the toolkit", "Head of Service", "July 2024", "R"]]:
        ws.append(row)
    ws.merge_cells("A2:E2")
    ws.merge_cells("A5:E5")
    code, summary, err = run("import", str(_save(book, tmp_path / "plan.xlsx")), "--plan", "p", "--json")
    assert code == 0 and summary["created"] == 3, err
    assert {ref: r["section"] for ref, r in _actions(run).items()} == {
        "1": "1. Early help", "2": "1. Early help", "3": "2. Neglect"}


def test_a_ref_such_as_2_1_is_in_section_2_after_an_unnumbered_band(tmp_path: Path, run: Run) -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    for row in [["Ref", "Action", "Owner", "Due"], ["1", "Priority 1: Early help"],
                ["1.1", "Launch", "DSL", "May 2024"], ["Neglect"],
                ["2.1", "Adopt the toolkit", "Head of Service", "June 2024"]]:
        ws.append(row)
    ws.merge_cells("B2:D2")
    ws.merge_cells("A4:D4")
    code, _, err = run("import", str(_save(book, tmp_path / "plan.xlsx")), "--plan", "p", "--json")
    assert code == 0, err
    assert {ref: r["section"] for ref, r in _actions(run).items()} == {"1.1": "1. Early help", "2.1": "2."}  # untitled


def test_excel_colours_hidden_rows_and_formulas(tmp_path: Path, run: Run) -> None:
    """RAG by fill colour only; a hidden row is still an action (and said); a formula's saved
    result is read, and a formula saved without one is named instead of vanishing."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["Ref", "Action", "Owner", "Due", "RAG", "Days left"])
    ws.append(["1", "Write the neglect strategy", "Pat", "=DATE(2024,3,31)", None, "=D2-TODAY()"])
    ws.append(["2", "Completed last year", "Sam", "1 May 2023", "B", None])
    ws.append(["3", "Audit strategy meetings", "Kim", "=DATE(2024,6,30)", None, None])
    ws["E2"].fill = PatternFill("solid", fgColor="FF0000")
    ws["E4"].fill = PatternFill("solid", fgColor="FFC000")
    ws.row_dimensions[3].hidden = True
    ws.column_dimensions["F"].hidden = True
    plan = _save(book, tmp_path / "plan.xlsx")
    _give_saved_result(plan, "D4", "45473")  # as Excel saves it: 30 June 2024

    code, summary, err = run("import", str(plan), "--plan", "p", "--json")
    assert code == 0, err
    rows = _actions(run)
    assert [(r["ref"], r["rag"], r["due"]) for r in rows.values()] == [
        ("1", "red", None), ("2", "green", "2023-05-01"), ("3", "amber", "2024-06-30")]
    messages = _messages(summary)
    assert "2 row row 3: the row is hidden in Excel: imported" in messages
    assert "cell D2 (=DATE(2024,3,31))" in messages and "D4" not in messages
    assert "open the workbook in Excel, save it, and import it again" in messages


def _give_saved_result(path: Path, cell: str, value: str) -> None:
    """Write the cached result Excel keeps beside a formula (openpyxl writes none)."""
    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    xml = parts[sheet].decode()
    xml, count = re.subn(rf'(<c r="{cell}"[^>]*><f>[^<]*</f>)<v\s*/?>(?:</v>)?', rf"\1<v>{value}</v>", xml)
    assert count == 1
    parts[sheet] = xml.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_totals_rows_are_not_actions_wherever_the_word_total_sits(tmp_path: Path, run: Run) -> None:
    plan = tmp_path / "plan.csv"
    plan.write_text("Ref,Action,Owner,Due,RAG\n1,Do the audit,Pat,1 May 2024,G\n2,Train staff,Sam,1 June 2024,R\n"
                    "Total,,,,2\nTotal: 2 actions,,,,\n3,Total review of the front door,Kim,1 July 2024,A\n",
                    encoding="utf-8")
    code, summary, _ = run("import", str(plan), "--plan", "p", "--json")
    assert code == 0 and summary["created"] == 3
    assert [r["text"] for r in _actions(run).values()] == ["Do the audit", "Train staff",
                                                           "Total review of the front door"]
    messages = _messages(summary)
    assert "line 4: 'Total' read as a totals row" in messages
    assert "line 5: 'Total: 2 actions' read as a totals row" in messages


def test_coloured_dots_in_the_rag_column_are_read_by_their_colour_in_excel_and_word(tmp_path: Path, run: Run) -> None:
    from openpyxl.styles import Font

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["Ref", "Action", "Owner", "Due", "RAG"])
    for ref, colour in (("1", "FF0000"), ("2", "FFC000"), ("3", None)):
        ws.append([ref, f"Action {ref}", "Pat", "May 2024", "●"])
        if colour:
            ws.cell(ws.max_row, 5).font = Font(color=colour)
    code, summary, err = run("import", str(_save(book, tmp_path / "plan.xlsx")), "--plan", "p", "--json")
    assert code == 0, err
    assert [r["rag"] for r in _actions(run).values()] == ["red", "amber", None]
    assert "3 rag row 4: RAG colour lost" in _messages(summary)  # a black dot says nothing: reported

    from docx.shared import RGBColor

    doc = Document()
    table = doc.add_table(rows=3, cols=4)
    _fill(table, [["Ref", "Action", "Lead", "RAG"], ["1", "Do it", "Pat", ""], ["2", "Then this", "Sam", ""]])
    for row, colour in ((1, RGBColor(0x00, 0xB0, 0x50)), (2, RGBColor(0xFF, 0x00, 0x00))):
        table.cell(row, 3).paragraphs[0].add_run("●").font.color.rgb = colour
    doc.save(tmp_path / "plan.docx")
    assert run("import", str(tmp_path / "plan.docx"), "--plan", "w")[0] == 0
    assert [r["rag"] for r in _actions(run, "w").values()] == ["green", "red"]


def test_american_dates_are_read_month_first_when_the_plan_shows_it(tmp_path: Path, run: Run) -> None:
    plan = tmp_path / "plan.csv"
    plan.write_text("Ref,Action,Owner,Due\n1,Do it,Pat,03/13/2024\n2,Then this,Pat,04/05/2024\n", encoding="utf-8")
    code, summary, _ = run("import", str(plan), "--plan", "p", "--json")
    assert code == 0
    assert [r["due"] for r in _actions(run).values()] == ["2024-03-13", "2024-04-05"]
    assert "dates are written month first (03/13/2024)" in _messages(summary)

    mixed = tmp_path / "mixed.csv"
    mixed.write_text("Ref,Action,Owner,Due\n1,Do it,Pat,13/03/2024\n2,Then this,Pat,04/05/2024\n"
                     "3,And this,Pat,03/14/2024\n", encoding="utf-8")
    code, summary, _ = run("import", str(mixed), "--plan", "q", "--json")
    assert code == 0 and "both day first (13/03/2024) and month first (03/14/2024)" in _messages(summary)
    assert [r["due"] for r in _actions(run, "q").values()] == ["2024-03-13", "2024-05-04", "2024-03-14"]


@pytest.mark.parametrize("encoding, separator, prefix", [
    ("cp1252", ";", b""), ("utf-8", ",", b"\xef\xbb\xbf"), ("utf-8", ";", b"sep=;\r\n")],
    ids=["windows-1252-semicolons", "utf8-bom-commas", "excel-sep-line"])
def test_csv_as_excel_writes_it(tmp_path: Path, run: Run, encoding: str, separator: str, prefix: bytes) -> None:
    lines = [["Ref", "Action", "Lead officer", "Deadline", "RAG status"],
             ["1.1", "Spend the £5,000 on “Think Family” training", "Head of EH", "31/03/2024", "Amber"],
             ["1.2", "Review the ‘front door’", "MASH Manager", "March 2024", "G"]]
    text = "\r\n".join(separator.join(f'"{c}"' if separator in c or "," in c else c for c in row) for row in lines)
    plan = tmp_path / "plan.csv"
    plan.write_bytes(prefix + text.encode(encoding))
    code, summary, err = run("import", str(plan), "--plan", "p", "--json")
    assert code == 0 and summary["created"] == 2, err
    rows = _actions(run)
    assert rows["1.1"]["text"] == "Spend the £5,000 on “Think Family” training"
    assert rows["1.2"]["text"] == "Review the ‘front door’"
    assert (rows["1.1"]["due"], rows["1.2"]["due"], rows["1.2"]["rag"]) == ("2024-03-31", "2024-03-31", "green")


def test_workbook_with_several_sheets_an_xlsm_and_the_sheet_flag(tmp_path: Path, run: Run) -> None:
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "Read me"
    notes.append(["How to update this plan: change the RAG column and save."])
    for title, rows in (("Action plan", [["1", "Do the audit", "Pat", "1 May 2024", "A"],
                                         ["2", "Report to the board", "Sam", "1 June 2024", "G"]]),
                        ("Completed", [["1", "An action closed last year", "Pat", "1 May 2023", "B"]])):
        sheet = book.create_sheet(title)
        sheet.append(["Ref", "Action", "Owner", "Due", "RAG"])
        for row in rows:
            sheet.append(row)
    plan = _save(book, tmp_path / "plan.xlsm")  # macro-enabled name, same inside
    code, summary, _ = run("import", str(plan), "--plan", "p", "--dry-run", "--json")
    assert code == 0 and summary["actions"] == 2
    messages = _messages(summary)
    assert "sheet 'Completed': row 2: 1 appears again (first at sheet 'Action plan': row 2)" in messages
    assert "sheet 'Read me'" in messages and "not an action table" in messages
    code, summary, _ = run("import", str(plan), "--plan", "p", "--sheet", "Completed", "--json")
    assert code == 0 and [(r["text"], r["complete"]) for r in _actions(run).values()] == [
        ("An action closed last year", True)]
    code, _, err = run("import", str(plan), "--plan", "p", "--sheet", "Plan")
    assert code == 2 and "no sheet named 'Plan' (sheets: Read me, Action plan, Completed)" in err


def test_hidden_sheets_are_named_not_read_unless_asked_for(tmp_path: Path, run: Run) -> None:
    book = Workbook()
    plan_sheet = book.active
    assert plan_sheet is not None
    plan_sheet.title = "Plan"
    for title, rows in ((plan_sheet, [["1", "Do the audit", "Pat", "1 May 2024", "A"]]),
                        (book.create_sheet("Plan v1 (old)"), [["1", "Old wording", "Pat", "1 May 2023", "R"],
                                                              ["9", "Dropped action", "Kim", "1 May 2023", "R"]])):
        title.append(["Ref", "Action", "Owner", "Due", "RAG"])
        for row in rows:
            title.append(row)
    book["Plan v1 (old)"].sheet_state = "hidden"
    plan = _save(book, tmp_path / "plan.xlsx")
    code, summary, err = run("import", str(plan), "--plan", "p", "--json")
    assert code == 0 and summary["created"] == 1, err
    assert "sheet 'Plan v1 (old)' is hidden in Excel: not read (--sheet 'Plan v1 (old)' reads it)" in _messages(summary)
    code, summary, err = run("import", str(plan), "--plan", "q", "--sheet", "Plan v1 (old)", "--json")
    assert code == 0 and [r["text"] for r in _actions(run, "q").values()] == ["Old wording", "Dropped action"]


def test_a_chart_sheet_left_active_and_a_protected_plan_sheet(tmp_path: Path, run: Run) -> None:
    from openpyxl.chart import BarChart, Reference

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Plan"
    ws.append(["Ref", "Action", "Owner", "Due", "RAG"])
    ws.append(["1", "Do the audit", "Pat", "1 May 2024", "G"])
    ws.protection.sheet, ws.protection.password = True, "locked"  # protected against editing, not encrypted
    dashboard = book.create_chartsheet("Dashboard", 0)
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=1, min_row=1, max_row=2))
    dashboard.add_chart(chart)
    book.active = 0  # saved with the dashboard showing
    plan = _save(book, tmp_path / "plan.xlsx")
    code, summary, err = run("import", str(plan), "--plan", "p", "--json")
    assert code == 0 and summary["created"] == 1, err
    code, _, err = run("import", str(plan), "--plan", "p", "--sheet", "Dashboard")
    assert code == 2 and "sheet 'Dashboard' is a chart, not a worksheet (worksheets: Plan)" in err


def test_a_word_table_without_a_header_row_is_refused_with_what_to_add(tmp_path: Path, run: Run) -> None:
    doc = Document()
    table = doc.add_table(rows=2, cols=4)
    _fill(table, [["1.1", "Do it", "Pat", "May 2024"], ["1.2", "Then this", "Sam", "June 2024"]])
    plan = tmp_path / "plan.docx"
    doc.save(plan)
    code, _, err = run("import", str(plan), "--plan", "p")
    assert code == 2 and "Traceback" not in err
    assert f"{plan}: table 1: no header row found" in err and "add a header row naming them above the table" in err


def test_a_wide_sheet_with_10000_formatted_empty_rows_imports_quickly(tmp_path: Path, run: Run) -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["Ref", "Action", "Owner", "Due", "RAG", *[f"Week {n}" for n in range(1, 121)]])
    for i in range(1, 31):
        ws.append([f"1.{i}", f"Action {i}", "Pat", "1 May 2024", "A", *["on track"] * 120])
    grey = PatternFill("solid", fgColor="D9D9D9")
    for r in range(32, 10032):
        ws.cell(r, 1).fill = grey
    plan = _save(book, tmp_path / "plan.xlsx")
    tracemalloc.start()
    try:
        assert len(read_document(plan).actions) == 30
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 120 * 2**20  # one cell object for each of 10,000 x 125 cells was over 400 MB
    started = time.monotonic()
    code, summary, err = run("import", str(plan), "--plan", "p", "--json")
    assert code == 0 and summary["created"] == 30, err
    assert time.monotonic() - started < 15
    row = _actions(run)["1.30"]
    assert len(row["extra"]) == 120 and row["extra"]["Week 120"] == "on track"


# --------------------------------------------------------------------------- Word

W_CHANGE = f'{nsdecls("w")} w:id="{{id}}" w:author="Business Manager" w:date="2024-01-10T09:00:00Z"'


def _tracked(paragraph: Any, kind: str, text: str, change_id: int) -> None:
    tag = "w:t" if kind == "ins" else "w:delText"
    paragraph._p.append(parse_xml(f'<w:{kind} {W_CHANGE.format(id=change_id)}><w:r><{tag} xml:space="preserve">'
                                  f'{text}</{tag}></w:r></w:{kind}>'))


def _fill(table: Any, rows: list[list[str]], start: int = 0) -> None:
    for r, row in enumerate(rows, start=start):
        for c, value in enumerate(row):
            table.cell(r, c).text = value


def test_word_tracked_changes_import_the_accepted_text_and_comments_stay_out(tmp_path: Path, run: Run) -> None:
    doc = Document()
    table = doc.add_table(rows=3, cols=4)
    _fill(table, [["Ref", "Action", "Lead", "Due"], ["1", "Audit cases", "", "1 May 2024"],
                  ["2", "Train staff", "Head of EH", "1 June 2024"]])
    action = table.cell(1, 1).paragraphs[0]
    _tracked(action, "ins", " every quarter", 1)
    _tracked(action, "del", " once a year", 2)
    lead = table.cell(1, 2).paragraphs[0]
    _tracked(lead, "del", "Old Lead", 3)
    _tracked(lead, "ins", "Designated Nurse", 4)
    _tracked(table.cell(2, 3).paragraphs[0], "del", " (was March)", 5)
    doc.add_comment(table.cell(2, 1).paragraphs[0].runs, text="Which staff?", author="Chair")
    plan = tmp_path / "plan.docx"
    doc.save(plan)
    code, _, err = run("import", str(plan), "--plan", "p", "--json")
    assert code == 0, err
    rows = _actions(run)
    assert [(r["text"], r["owner_text"], r["due"]) for r in rows.values()] == [
        ("Audit cases every quarter", "Designated Nurse", "2024-05-01"),
        ("Train staff", "Head of EH", "2024-06-01")]


def _wrap(element: Any, children: list[Any]) -> None:
    """Put ``children`` inside a content control (``w:sdt``) where the first of them stood."""
    control = parse_xml(f'<w:sdt {nsdecls("w")}><w:sdtPr/><w:sdtContent/></w:sdt>')
    element.insert(list(element).index(children[0]), control)
    for child in children:
        control[1].append(child)


def test_word_plan_made_from_a_form_template_with_content_controls(tmp_path: Path, run: Run) -> None:
    """The table in a content control, its action rows in a repeating section, a cell's text in
    a plain-text control: every action and every word is read."""
    doc = Document()
    table = doc.add_table(rows=3, cols=4)
    _fill(table, [["Ref", "Action", "Lead", "Due"], ["1", "", "DSL", "1 May 2024"],
                  ["2", "Train staff", "Head of EH", "1 June 2024"]])
    cell = table.cell(1, 1)._tc
    _wrap(cell, [p for p in cell if p.tag.endswith("}p")])
    paragraph = cell.find(".//{*}p")
    paragraph.append(parse_xml(f'<w:r {nsdecls("w")}><w:t>Audit the cases</w:t></w:r>'))
    tbl = table._tbl
    _wrap(tbl, [tr for tr in tbl if tr.tag.endswith("}tr")][1:])
    _wrap(doc.element.body, [tbl])
    plan = tmp_path / "plan.docx"
    doc.save(plan)
    code, summary, err = run("import", str(plan), "--plan", "p", "--json")
    assert code == 0 and summary["created"] == 2, err
    assert [(r["ref"], r["text"], r["owner_text"]) for r in _actions(run).values()] == [
        ("1", "Audit the cases", "DSL"), ("2", "Train staff", "Head of EH")]


def test_macro_enabled_word_documents_and_templates_are_read(tmp_path: Path, run: Run) -> None:
    doc = Document()
    _fill(doc.add_table(rows=2, cols=4), [["Ref", "Action", "Lead", "Due"], ["1", "Do the audit", "DSL", "May 2024"]])
    plain = tmp_path / "plan.docx"
    doc.save(plain)
    for suffix, kind in (("docm", "application/vnd.ms-word.document.macroEnabled.main+xml"),
                         ("dotx", "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml")):
        variant = tmp_path / f"plan.{suffix}"
        with zipfile.ZipFile(plain) as source, zipfile.ZipFile(variant, "w") as target:
            for name in source.namelist():
                data = source.read(name)
                if name == "[Content_Types].xml":
                    data = data.replace(b"application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                                        b".main+xml", kind.encode())
                target.writestr(name, data)
        code, summary, err = run("import", str(variant), "--plan", suffix, "--json")
        assert code == 0 and summary["created"] == 1, err
        assert [(r["text"], r["due"]) for r in _actions(run, suffix).values()] == [("Do the audit", "2024-05-31")]


def _priority_plan(path: Path) -> Path:
    """One table per priority under its heading, a header over two rows in the first (Word
    merges), bullets and a nested table in cells, a landscape section, a lead merged down,
    and a table after a page break with no header row."""
    doc = Document()
    doc.add_heading("Partnership improvement plan", 0)
    doc.add_heading("Priority 1: Early help", 1)
    doc.add_paragraph("The inspection found that early help was not consistently offered.")
    table = doc.add_table(rows=4, cols=6)
    table.style = "Table Grid"
    _fill(table, [["Ref", "Action", "Lead", "Due", "Progress", ""], ["", "", "", "", "Update", "RAG"],
                  ["1.1", "Launch the assessment", "DSL", "1 May 2024", "Live in April", "G"],
                  ["1.2", "Train:", "", "1 June 2024", "", "A"]])
    table.cell(0, 4).merge(table.cell(0, 5))
    for c in range(4):
        table.cell(0, c).merge(table.cell(1, c))
    table.cell(2, 2).merge(table.cell(3, 2))
    for item in ("GPs", "Schools"):
        table.cell(3, 1).add_paragraph(item, style="List Bullet")
    nested = table.cell(2, 1).add_table(rows=1, cols=2)
    _fill(nested, [["Phase 1: north", "Phase 2: south"]])
    section = doc.add_section()
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    doc.add_heading("Priority 2: Neglect", 1)
    second = doc.add_table(rows=2, cols=5)
    second.style = "Table Grid"
    _fill(second, [["Ref", "Action", "Lead", "Due", "RAG"], ["2.1", "Adopt the toolkit", "Head of Service",
                                                            "Q3 2024/25", "Red"]])
    doc.add_page_break()
    third = doc.add_table(rows=1, cols=5)
    third.style = "Table Grid"
    _fill(third, [["2.2", "Audit neglect cases", "Designated Nurse", "March 2025", "Amber"]])
    doc.save(path)
    return path


def _titled_tables(path: Path) -> Path:
    """No refs; each priority's title is the table's own first row, merged across it."""
    doc = Document()
    for title, rows in (("Priority 1 – Early help", [["Launch the assessment", "DSL", "May 2024", "G"]]),
                        ("Priority 2 – Neglect", [["Adopt the toolkit", "Head of Service", "June 2024", "A"],
                                                  ["Audit neglect cases", "Designated Nurse", "July 2024", "R"]])):
        table = doc.add_table(rows=2 + len(rows), cols=4)
        table.style = "Table Grid"
        table.cell(0, 0).merge(table.cell(0, 3)).text = title
        _fill(table, [["What we will do", "Lead", "By when", "RAG"], *rows], start=1)
        doc.add_paragraph()
    doc.save(path)
    return path


TITLED = {"1.1": ("Launch the assessment", "1. Early help"), "2.1": ("Adopt the toolkit", "2. Neglect"),
          "2.2": ("Audit neglect cases", "2. Neglect")}


def test_word_tables_titled_in_their_first_row_are_sections(tmp_path: Path, run: Run) -> None:
    code, summary, err = run("import", str(_titled_tables(tmp_path / "plan.docx")), "--plan", "p", "--json")
    assert code == 0 and summary["generated_refs"] == ["1.1", "2.1", "2.2"], err
    assert {ref: (r["text"], r["section"]) for ref, r in _actions(run).items()} == TITLED


def test_word_plan_in_several_tables_with_merges_bullets_and_a_landscape_section(tmp_path: Path, run: Run) -> None:
    plan = _priority_plan(tmp_path / "plan.docx")
    code, summary, err = run("import", str(plan), "--plan", "p", "--json")
    assert code == 0 and summary["created"] == 4, err
    rows = _actions(run)
    assert {ref: (r["owner_text"], r["due"], r["rag"], r["section"]) for ref, r in rows.items()} == {
        "1.1": ("DSL", "2024-05-01", "green", "1. Early help"), "1.2": ("DSL", "2024-06-01", "amber", "1. Early help"),
        "2.1": ("Head of Service", "2024-12-31", "red", "2. Neglect"),
        "2.2": ("Designated Nurse", "2025-03-31", "amber", "2. Neglect")}
    assert rows["1.2"]["text"] == "Train:\nGPs\nSchools"  # the bullets keep their lines
    assert rows["1.1"]["text"] == "Launch the assessment\nPhase 1: north Phase 2: south"
    assert rows["1.1"]["updates"][0]["text"] == "Live in April"


# --------------------------------------------------------------------------- PDF


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Word plans converted by LibreOffice, as partnerships publish them (one soffice run)."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    folder = tmp_path_factory.mktemp("pdf")
    doc = Document()
    doc.add_heading("1. Early help", 1)
    table = doc.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    _fill(table, [["Ref", "Action", "Lead", "Due", "RAG"]])
    for i in range(1, 25):
        cells = table.add_row().cells
        for c, value in enumerate([f"1.{i}", _long_action(i), "Head of Early Help", f"{i} May 2024", "Amber"]):
            cells[c].text = value
    doc.save(folder / "long.docx")
    _priority_plan(folder / "priorities.docx")
    _titled_tables(folder / "titled.docx")
    names = ("long", "priorities", "titled")
    subprocess.run(["soffice", f"-env:UserInstallation=file://{folder}/profile", "--headless", "--convert-to", "pdf",
                    "--outdir", str(folder), *(str(folder / f"{n}.docx") for n in names)],
                   capture_output=True, timeout=180, check=True)
    return {n: folder / f"{n}.pdf" for n in names}


def _long_action(i: int) -> str:
    """Every fifth action long enough that the page break falls inside its row."""
    return f"Action {i}: " + "bring the early help offer to every family that needs it. " * (12 if i % 5 == 0 else 1)


def test_pdf_table_over_several_pages_with_rows_split_at_the_break(pdfs: dict[str, Path], run: Run) -> None:
    import pdfplumber

    with pdfplumber.open(pdfs["long"]) as pdf:
        assert len(pdf.pages) >= 2
    code, summary, err = run("import", str(pdfs["long"]), "--plan", "p", "--json")
    assert code == 0 and summary["created"] == 24, err
    rows = _actions(run)
    assert list(rows) == [f"1.{i}" for i in range(1, 25)]
    assert [" ".join(r["text"].split()) for r in rows.values()] == [" ".join(_long_action(i).split())
                                                                     for i in range(1, 25)]
    assert all(r["owner_text"] == "Head of Early Help" and r["rag"] == "amber" for r in rows.values())
    assert [r["due"] for r in rows.values()] == [f"2024-05-{i:02d}" for i in range(1, 25)]


def test_pdf_of_a_word_plan_reads_like_the_word_plan(pdfs: dict[str, Path], run: Run) -> None:
    code, summary, err = run("import", str(pdfs["priorities"]), "--plan", "p", "--json")
    assert code == 0, err
    rows = _actions(run)
    assert {ref: (r["owner_text"], r["due"], r["rag"]) for ref, r in rows.items()} == {
        "1.1": ("DSL", "2024-05-01", "green"), "1.2": ("DSL", "2024-06-01", "amber"),
        "2.1": ("Head of Service", "2024-12-31", "red"), "2.2": ("Designated Nurse", "2025-03-31", "amber")}


def test_pdf_tables_titled_in_their_first_row_are_sections(pdfs: dict[str, Path], run: Run) -> None:
    code, summary, err = run("import", str(pdfs["titled"]), "--plan", "p", "--json")
    assert code == 0 and summary["generated_refs"] == ["1.1", "2.1", "2.2"], err
    assert {ref: (r["text"], r["section"]) for ref, r in _actions(run).items()} == TITLED


def test_a_scanned_pdf_is_refused_with_what_to_do(tmp_path: Path, run: Run) -> None:
    from PIL import Image, ImageDraw

    page = Image.new("RGB", (1240, 1754), "white")
    ImageDraw.Draw(page).rectangle((100, 100, 1100, 400), outline="black", width=3)
    scan = tmp_path / "scanned plan.pdf"
    page.save(scan, "PDF", resolution=150)
    code, _, err = run("import", str(scan), "--plan", "p", "--dry-run")
    assert code == 2 and "Traceback" not in err
    assert str(scan) in err and "no text (a scan?)" in err and "export the plan from Word or Excel" in err


# --------------------------------------------------------------------------- refusals


def test_files_we_cannot_read_are_refused_in_one_line_naming_the_file(tmp_path: Path, run: Run) -> None:
    encrypted = tmp_path / "protected.xlsx"  # what Excel writes for "Encrypt with Password": an OLE container
    encrypted.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + "EncryptedPackage".encode("utf-16-le")
                          + bytes(500) + "EncryptionInfo".encode("utf-16-le") + bytes(500))
    ods = tmp_path / "plan.ods"
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    truncated = tmp_path / "plan.xlsx"
    truncated.write_bytes(_council_workbook(tmp_path / "whole.xlsx").read_bytes()[:3000])
    for path, reason in ((encrypted, "password-protected (encrypted): open it, remove the password"),
                         (ods, "an OpenDocument file (.ods/.odt): save it as .xlsx"),
                         (truncated, "damaged or incomplete (it starts like a Word or Excel file but cannot be "
                                     "opened): copy or download it again")):
        code, _, err = run("import", str(path), "--plan", "p")
        assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert str(path) in err and reason in err


# --------------------------------------------------------------------------- re-import


def _csv_plan(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(["Ref,Action,Owner,Due,RAG,Progress", *rows]) + "\n", encoding="utf-8")
    return path


def test_reimport_updates_by_ref_keeps_removed_refs_and_a_bad_file_changes_nothing(tmp_path: Path, run: Run) -> None:
    plan = _csv_plan(tmp_path / "plan.csv", ["1.1,Write the strategy,Pat,1 May 2024,A,Drafted",
                                             "1.2,Train staff,Sam,1 June 2024,R,",
                                             "1.3,Audit,Kim,1 July 2024,G,Done"])
    assert run("import", str(plan), "--plan", "p", "--json")[1]["created"] == 3
    first = _actions(run)

    code, same, _ = run("import", str(plan), "--plan", "p", "--json")
    assert (code, same["created"], same["updated"]) == (0, 0, 0) and _actions(run) == first

    _csv_plan(plan, ["1.1,Write the strategy,Pat,1 May 2024,A,Drafted",
                     "1.2,Train staff,Sam,30 September 2024,A,Half trained"])
    code, edited, _ = run("import", str(plan), "--plan", "p", "--json")
    assert (code, edited["created"], edited["updated"]) == (0, 0, 1)
    assert "1.3 ref in the store but not in this file: kept unchanged" in _messages(edited)
    rows = _actions(run)
    assert (rows["1.2"]["due"], rows["1.2"]["rag"], rows["1.2"]["updates"][-1]["text"]) == (
        "2024-09-30", "amber", "Half trained")
    assert rows["1.3"] == first["1.3"] and rows["1.1"] == first["1.1"]
    code, history, _ = run("history", "1.2", "--plan", "p", "--json")
    assert code == 0 and "2024-09-30" in json.dumps(history)

    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04" + bytes(100))
    assert run("import", str(broken), "--plan", "p")[0] == 2
    assert _actions(run) == rows  # nothing half-imported


def test_word_line_breaks_and_control_characters_are_stored_clean_and_export(
        tmp_path: Path, run: Run, sqlite_url: str) -> None:
    """A vertical tab (Word's manual line break, kept by copy-and-paste into a CSV) is a line
    end, a bell is dropped; and the export never refuses text stored before that rule."""
    from sqlalchemy import select

    from planwarden.core.db import session_scope
    from planwarden.plan.models import Action

    plan = _csv_plan(tmp_path / "plan.csv", ["1.1,Write the\x0bstrategy\x07 now,Pat,1 May 2024,A,Drafted\x0bfirst",
                                             "1.2,Train staff,Sam,1 June 2024,R,"])
    assert run("import", str(plan), "--plan", "p")[0] == 0
    rows = _actions(run)
    assert rows["1.1"]["text"] == "Write the\nstrategy now"
    assert rows["1.1"]["updates"][-1]["text"] == "Drafted\nfirst"
    with session_scope(sqlite_url) as session:  # as an import before this rule left it
        action = session.scalar(select(Action).where(Action.ref == "1.2"))
        assert action is not None
        action.text = "Train\x07 staff"
    code, _, err = run("export", "--plan", "p", "--out", str(tmp_path / "plan.xlsx"))
    assert code == 0, err
    from openpyxl import load_workbook
    cells = [c.value for row in load_workbook(tmp_path / "plan.xlsx").active.iter_rows() for c in row]
    assert "Train staff" in cells and "Write the\nstrategy now" in cells


def test_duplicate_refs_name_both_rows_and_keep_the_first(tmp_path: Path, run: Run) -> None:
    plan = _csv_plan(tmp_path / "plan.csv", ["1.1,Write the strategy,Pat,1 May 2024,A,",
                                             "1.2,Train staff,Sam,1 June 2024,R,",
                                             "1.1,Audit (typed 1.1 by mistake),Kim,1 July 2024,G,"])
    code, summary, _ = run("import", str(plan), "--plan", "p")
    assert code == 0
    assert "1.1 appears again (first at line 2): this row is not imported" in summary and "line 4" in summary
    assert [(r["ref"], r["text"]) for r in _actions(run).values()] == [("1.1", "Write the strategy"),
                                                                       ("1.2", "Train staff")]


def test_refs_typed_as_numbers_keep_the_tenth_action(tmp_path: Path, run: Run) -> None:
    """Excel stores 1.10 typed in a General cell as the number 1.1: after 1.9 it is read as
    1.10 (and said), not dropped as a second 1.1; a real repeat is still a duplicate."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["Ref", "Action", "Lead", "Due", "RAG"])
    for n in range(1, 12):
        ws.append([float(f"1.{n}"), f"Action number {n}", "Pat", "1 May 2024", "A"])
    ws.append([2.1, "Second section", "Sam", "1 June 2024", "G"])
    ws.append([2.1, "Typed 2.1 again by mistake", "Kim", "1 July 2024", "R"])
    code, summary, err = run("import", str(_save(book, tmp_path / "plan.xlsx")), "--plan", "p", "--json")
    assert code == 0, err
    rows = _actions(run)
    assert rows["1.10"]["text"] == "Action number 10" and rows["1.11"]["text"] == "Action number 11"
    assert rows["1.1"]["text"] == "Action number 1" and len(rows) == 12
    said = _messages(summary)
    assert "the number 1.1 after 1.9 read as 1.10" in said and "2.1 appears again" in said


# --------------------------------------------------------------------------- headers


def test_a_document_control_block_above_the_plan_and_headers_in_plain_words(tmp_path: Path, run: Run) -> None:
    """Version/Date/Owner/Status above the table is not the header; "What are we going to do?" is
    the action column; "Date completed" is kept as an extra field, never read as the due date."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    for row in [["Document control"], ["Version", "Date", "Owner", "Status"],
                ["v3", "1 March 2024", "Business Manager", "Final"], [],
                ["No.", "What are we going to do?", "Named lead", "Date completed", "Target date", "RAG rating"],
                ["1", "Publish the threshold guidance", "Head of MASH", "2 February 2024", "31 January 2024", "B"],
                ["2", "Audit repeat referrals", "QA Manager", None, "30 June 2024", "A"]]:
        ws.append(row)
    code, summary, err = run("import", str(_save(book, tmp_path / "plan.xlsx")), "--plan", "p", "--json")
    assert code == 0 and summary["created"] == 2, err
    rows = _actions(run)
    assert [(r["text"], r["owner_text"], r["due"]) for r in rows.values()] == [
        ("Publish the threshold guidance", "Head of MASH", "2024-01-31"),
        ("Audit repeat referrals", "QA Manager", "2024-06-30")]
    assert rows["1"]["extra"] == {"Date completed": "2 February 2024"} and rows["1"]["complete"]


def test_theme_and_palette_fill_colours_and_dates_shown_as_months(tmp_path: Path, run: Run) -> None:
    """RAG cells shaded from the theme ("Accent 3") or the old 56-colour palette are read like
    plain colours; "March 2024" typed into Excel (stored 1 March, shown "Mar-24") is due at the
    end of March, not on the 1st."""
    from openpyxl.styles import Color

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["Ref", "Action", "Owner", "Due", "RAG"])
    for ref, due in (("1", dt.datetime(2024, 3, 1)), ("2", dt.datetime(2024, 6, 1)), ("3", dt.datetime(2024, 6, 1))):
        ws.append([ref, f"Action {ref}", "Pat", due, None])
    ws["D2"].number_format, ws["D3"].number_format, ws["D4"].number_format = "mmm-yy", "mmmm yyyy", "dd/mm/yyyy"
    green = 6  # "Accent 3" of the Office theme openpyxl writes into the workbook: 9BBB59, a green
    ws["E2"].fill = PatternFill("solid", fgColor=Color(theme=green))
    ws["E3"].fill = PatternFill("solid", fgColor=Color(theme=green, tint=-0.25))  # "darker 25%"
    ws["E4"].fill = PatternFill("solid", fgColor=Color(indexed=10))  # the palette's red
    code, _, err = run("import", str(_save(book, tmp_path / "plan.xlsx")), "--plan", "p", "--json")
    assert code == 0, err
    assert [(r["due"], r["due_text"], r["rag"]) for r in _actions(run).values()] == [
        ("2024-03-31", "March 2024", "green"), ("2024-06-30", "June 2024", "green"),
        ("2024-06-01", "1 June 2024", "red")]



# --------------------------------------------------------------------------- owners


def test_owners_as_plans_write_them_draft_the_right_directory(tmp_path: Path, run: Run,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """"Jane Smith (Head of EH)" is a person with her post beside her name, not a post to find
    a holder for; "A. Jones / B. Patel" is two people; "Head of Service" is a role. Once the
    draft is completed, the plan's owner texts resolve as written."""
    import tomllib

    config = tmp_path / "planwarden.toml"
    config.write_text('[[plans]]\nkey = "p"\ntitle = "Plan"\n', encoding="utf-8")
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(config))
    plan = _csv_plan(tmp_path / "plan.csv", ['1,Launch the assessment,Jane Smith (Head of EH),1 May 2024,A,',
                                             '2,Train the hubs,A. Jones / B. Patel,1 June 2024,G,',
                                             '3,Review thresholds,"Jane Smith, Head of EH",1 July 2024,R,',
                                             "4,Audit,Head of Service,1 July 2024,R,"])
    assert run("import", str(plan), "--plan", "p")[0] == 0
    draft = tmp_path / "directory.toml"
    code, found, err = run("directory", "suggest", "--plan", "p", "--out", str(draft), "--json")
    assert code == 0, err
    assert {(s["kind"], s["name"]): s["refs"] for s in found} == {
        ("person", "Jane Smith"): ["1", "3"], ("person", "A. Jones"): ["2"], ("person", "B. Patel"): ["2"],
        ("role", "Head of Service"): ["4"]}
    people = {p["name"]: p for p in tomllib.loads(draft.read_text(encoding="utf-8"))["people"]}
    assert people["Jane Smith"]["aliases"] == ["Jane Smith (Head of EH)", "Jane Smith, Head of EH"]

    completed = draft.read_text(encoding="utf-8").replace('name = ""', 'name = "Post Holder"')
    completed = re.sub(r'email = ""', lambda _m: 'email = "someone@example.org"', completed)
    (tmp_path / "directory.toml").write_text(completed, encoding="utf-8")
    config.write_text('directory = "directory.toml"\n[[plans]]\nkey = "p"\ntitle = "Plan"\n', encoding="utf-8")
    code, summary, err = run("import", str(plan), "--plan", "p", "--json")
    assert code == 0, err
    assert not [w for w in summary["warnings"] if w["field"] == "owner"]
    assert {ref: [o["name"] for o in r["owners"]] for ref, r in _actions(run).items()} == {
        "1": ["Jane Smith"], "2": ["A. Jones", "B. Patel"], "3": ["Jane Smith"],
        "4": ["Post Holder"]}  # the role's holder


def test_a_misspelt_map_header_is_named_not_silently_ignored(tmp_path: Path, run: Run) -> None:
    plan = tmp_path / "odd.csv"
    plan.write_text("Item,Thing to do,Named person,Finish\n1,Write it,Pat,1 May 2024\n", encoding="utf-8")
    code, _, err = run("import", str(plan), "--plan", "p", "--map", "Thing todo=action,Named person=owner")
    assert code == 2 and "--map names no column of the file: 'thing todo' (check the spelling" in err
    assert str(plan) in err and "line 1" in err
    code, summary, _ = run("import", str(plan), "--plan", "p", "--json",
                           "--map", "Thing to do=action,Nmed person=owner")
    assert code == 0 and "--map names no column of the file: 'nmed person'" in _messages(summary)
    assert _actions(run)["1"]["owner_text"] == ""  # nothing guessed: the secretary sees why
