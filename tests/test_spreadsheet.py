"""Plans kept as spreadsheets: CSV and XLSX with the columns people actually use."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import Workbook
from seeds import SEED_000, seed_text

from planwarden.importing.errors import ImportFormatError
from planwarden.importing.parsed import ParsedPlan
from planwarden.importing.seedtext import parse_seed_text
from planwarden.importing.spreadsheet import column_key, parse_csv, parse_xlsx

D = dt.date


def _xlsx(rows: list[list[Any]], merges: tuple[str, ...] = ()) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for cells in merges:
        sheet.merge_cells(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fields(plan: ParsedPlan) -> list[tuple[Any, ...]]:
    return [(a.ref, a.text, a.owner_text, a.due, a.rag, a.progress) for a in plan.actions]


@pytest.mark.parametrize(("header", "key"), [
    ("Ref", "ref"), ("Action", "action"), ("Action <i>What we will do</i>", "action"), ("Action Owner", "owner"),
    ("Owner", "owner"), ("Lead", "owner"), ("Due by", "due"), ("Due", "due"), ("Timescales", "due"),
    ("Due date", "due"), ("  due   DATE ", "due"), ("Updates / Comment", "progress"),
    ("Progress and impact to date", "progress"), ("Progress", "progress"), ("RAG", "rag"), ("RA G", "rag"),
    ("Status", "rag"), ("Section", "section"), ("Area", "area"), ("Milestones", "milestones"),
    ("Anticipated Outcomes", "outcomes"), ("Colour", None), ("", None),
])
def test_header_variants(header: str, key: str | None) -> None:
    assert column_key(header) == key


CSV = ("Cheshire East JTAI action plan\r\n"
       "\r\n"
       "Ref,Action,Action Owner,Due by,RAG,Progress and impact to date\r\n"
       "1.1a,Embed a culture,LSCP Executive,13 July 2023,A,Since the inspection\r\n"
       "1.1b,\"Develop guidance\non two lines\",Principal Social Worker,Sept 2103,•,\r\n"
       ",a stray note,,,,\r\n"
       "1.1a,Again,,,,\r\n"
       "2. Identifying needs,,,,,\r\n"
       "2.1a,Review flagging – café,DCI Littlewood,31 February 2023,Green,Done\r\n")


def test_csv_with_bom_crlf_and_a_title_above_the_header() -> None:
    plan = parse_csv(b"\xef\xbb\xbf" + CSV.encode("utf-8"))
    assert _fields(plan) == [
        ("1.1a", "Embed a culture", "LSCP Executive", D(2023, 7, 13), "amber", "Since the inspection"),
        ("1.1b", "Develop guidance\non two lines a stray note", "Principal Social Worker", D(2103, 9, 30), None, ""),
        ("2.1a", "Review flagging – café", "DCI Littlewood", None, "green", "Done")]
    assert [a.line for a in plan.actions] == [4, 5, 10]
    assert [(s.number, s.title) for s in plan.sections] == [("1", ""), ("2", "Identifying needs")]


def test_csv_doubts_are_reported() -> None:
    plan = parse_csv(CSV.encode("utf-8"))
    found = {(w.ref, w.field, w.line) for w in plan.warnings}
    assert ("1.1b", "row", 7) in found  # no ref, joined to the action above
    assert ("1.1a", "ref", 8) in found  # duplicate: the first is kept
    assert ("1.1b", "due", 5) in found and ("1.1b", "rag", 5) in found  # Sept 2103, lost colour
    assert ("2.1a", "due", 10) in found  # 31 February
    assert any("2103" in w.message for w in plan.warnings)
    assert any("colour lost" in w.message for w in plan.warnings)


def test_csv_in_windows_1252() -> None:
    plan = parse_csv(CSV.encode("cp1252"))
    assert plan.actions[-1].text == "Review flagging – café"


def test_csv_with_semicolons_and_other_header_names() -> None:
    data = ("REF;ACTION;Lead;Timescales;Status;Updates / Comment\n"
            "3.1;Produce a protocol;Pan Cheshire Group (PCSG);End 2012;G;Agreed\n").encode()
    (a,) = parse_csv(data).actions
    assert (a.ref, a.owner_text, a.due, a.rag, a.progress) == ("3.1", "Pan Cheshire Group (PCSG)",
                                                               D(2012, 12, 31), "green", "Agreed")


def test_missing_owner_column_is_reported_not_refused() -> None:
    plan = parse_csv(b"Ref,Action,Due,RAG\n1.1a,Do it,1 May 2023,A\n")
    assert [a.ref for a in plan.actions] == ["1.1a"] and plan.actions[0].owner_text == ""
    assert any(w.field == "owner" and "no Owner column" in w.message for w in plan.warnings)


def test_missing_action_column_names_the_line_and_the_headers() -> None:
    with pytest.raises(ImportFormatError, match=r"no Action column.*line 1: Ref, Owner, Due") as caught:
        parse_csv(b"Ref,Owner,Due\n1.1a,Pat,1 May 2023\n")
    assert isinstance(caught.value, ValueError)


def test_no_header_row_is_refused() -> None:
    with pytest.raises(ImportFormatError, match="no header row"):
        parse_csv(b"a,b,c\n1,2,3\n")


def test_optional_columns_missing_are_reported() -> None:
    plan = parse_csv(b"Ref,Action,Owner,Due\n1.1a,Do it,Pat,1 May 2023\n")
    assert {w.field for w in plan.warnings} == {"rag", "progress"}
    assert plan.actions[0].rag is None and plan.actions[0].progress == ""


def test_xlsx_dates_merged_cells_sections_and_milestones() -> None:
    data = _xlsx([
        ["JTAI plan"],
        [],
        ["Section", "Area", "Ref", "Action", "Owner", "Due date", "Milestones", "RAG", "Progress"],
        ["1. Voices", "1.1 Partnership practice", "1.1a", "Embed", "LSCP Executive", dt.datetime(2023, 7, 13),
         None, "Amber", "p1"],
        [None, None, "1.1b", "Guidance", "Shared", "30 April 2023", "First draft 1 March 2023", "G", "p2"],
        [None, None, "1.1c", "Masterclasses", None, "N/A", None, "R", "p3"],
        ["2. Needs", "2.1 Police recording", "2.1a", "Part one", "DCI Littlewood", D(2023, 3, 1), None, "A",
         "first"],
        [None, None, None, "part two", None, None, None, None, "second"],
    ], merges=("E5:E6", "C7:C8"))
    plan = parse_xlsx(data)
    assert _fields(plan) == [
        ("1.1a", "Embed", "LSCP Executive", D(2023, 7, 13), "amber", "p1"),
        ("1.1b", "Guidance", "Shared", D(2023, 4, 30), "green", "p2"),
        ("1.1c", "Masterclasses", "Shared", None, "red", "p3"),
        ("2.1a", "Part one part two", "DCI Littlewood", D(2023, 3, 1), "amber", "first second")]
    assert plan.actions[0].due_text == "13 July 2023"
    assert plan.actions[1].milestones == [D(2023, 3, 1)]
    assert [(a.section, a.area) for a in plan.actions] == [("1", "1.1")] * 3 + [("2", "2.1")]
    assert [(s.number, s.title, [a.title for a in s.areas]) for s in plan.sections] == [
        ("1", "Voices", ["Partnership practice"]), ("2", "Needs", ["Police recording"])]
    assert plan.warnings == []


def test_xlsx_merged_owner_value_is_written_in_the_top_cell() -> None:
    # openpyxl keeps a merged range's value in its top-left cell only: the reader spreads it
    data = _xlsx([["Ref", "Action", "Owner", "Due"], ["1.1a", "A", "Shared", "1 May 2023"],
                  ["1.1b", "B", None, "2 May 2023"]], merges=("C2:C3",))
    assert [a.owner_text for a in parse_xlsx(data).actions] == ["Shared", "Shared"]


def test_xlsx_missing_due_column_is_reported() -> None:
    plan = parse_xlsx(_xlsx([["Ref", "Action", "Owner"], ["1.1a", "Do it", "Pat"]]))
    assert any(w.field == "due" and "no Due column" in w.message for w in plan.warnings)
    with pytest.raises(ImportFormatError):
        parse_xlsx(b"PK\x03\x04 not really a workbook")


def test_exported_layout_imports_back_unchanged() -> None:
    """planwarden export writes Section, Area, Ref, Action, Owner, Due, RAG, Progress: a round trip."""
    seed = parse_seed_text(seed_text(SEED_000))
    titles = {s.number: s.title for s in seed.sections}
    areas = {a.number: a.title for s in seed.sections for a in s.areas}
    rows: list[list[Any]] = [["Section", "Area", "Ref", "Action", "Owner", "Due", "RAG", "Progress"]]
    for a in seed.actions:
        rows.append([f"{a.section}. {titles[a.section or '']}", f"{a.area} {areas[a.area or '']}", a.ref, a.text,
                     a.owner_text, a.due_text, (a.rag or "").capitalize(), a.progress])
    back = parse_xlsx(_xlsx(rows))
    assert _fields(back) == _fields(seed)
    assert [(a.due_text, a.milestones, a.section, a.area) for a in back.actions] == \
        [(a.due_text, a.milestones, a.section, a.area) for a in seed.actions]
    assert [w.ref for w in back.warnings] == ["1.2b"]  # only "To be determined…": no due date, reported
    assert "gives no due date" in back.warnings[0].message


def test_a_ref_merged_over_rows_with_their_own_owners_gives_lettered_actions() -> None:
    data = _xlsx([["Ref", "Action", "Lead", "Date"],
                  ["3", "Audit cases", "Named Nurse", "May 2023"],
                  [None, "Report to the board", "Board Manager", "June 2023"],
                  [None, "and the executive", None, None],
                  ["4", "Train staff", "Trainer", "July 2023"]], merges=("A2:A4",))
    plan = parse_xlsx(data)
    assert [(a.ref, a.text, a.owner_text) for a in plan.actions] == [
        ("3a", "Audit cases", "Named Nurse"), ("3b", "Report to the board and the executive", "Board Manager"),
        ("4", "Train staff", "Trainer")]
