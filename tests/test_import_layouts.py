"""Plans as partnerships hold them (Word, Excel, PDF, CSV), scored against truth files.

The fixtures in tests/data/plans/ are built by tests/data/plans/build.py after the
layouts of public plans; each ``*.truth.json`` was written from reading the document.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from planwarden.cli import main
from planwarden.importing import detect_format, read_document
from planwarden.importing.score import score

PLANS = Path(__file__).parent / "data" / "plans"
TRUTHS = sorted(PLANS.glob("*.truth.json"))


def _truth(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("truth_file", TRUTHS, ids=[t.name.split(".truth")[0] for t in TRUTHS])
def test_every_layout_reads_as_its_truth_says(truth_file: Path) -> None:
    truth = _truth(truth_file)
    plan = truth_file.with_name(truth["file"])
    result = score(plan, truth)
    assert not result.refused, result.refused
    assert (result.found, result.due, result.owner, result.rating) == (result.expected,) * 4, result.misses
    parsed = read_document(plan)
    assert [a.ref for a in parsed.actions] == list(truth["actions"]), "no action too many, in document order"
    assert (parsed.rating_scale or "rag") == truth["rating_scale"]
    sections = {s.number: s.title for s in parsed.sections}
    for number, title in truth.get("sections", {}).items():
        assert sections.get(number) == title
    by_ref = {a.ref: a for a in parsed.actions}
    for ref, extra in truth.get("extra", {}).items():
        assert by_ref[ref].extra == extra or extra.items() <= by_ref[ref].extra.items()
    generated = any(w.field == "ref" and "generated" in w.message for w in parsed.warnings)
    assert generated == bool(truth.get("generated")), "generated refs are said in the summary"


def test_format_comes_from_the_content_not_the_extension(tmp_path: Path) -> None:
    for source, kind in [("send_commissioning.docx", "docx"), ("ofsted_improvement.xlsx", "xlsx"),
                         ("multiagency_plan.pdf", "pdf"), ("sab_semicolon_cp1252.csv", "csv")]:
        disguised = tmp_path / f"{kind}.txt"
        shutil.copy(PLANS / source, disguised)
        assert detect_format(disguised.read_bytes()) == kind
        assert read_document(disguised).actions


def test_refs_generated_from_position_are_stable_across_reimports(jtai_env: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    plan = PLANS / "lscb_business_plan.docx"
    assert main(["import", str(plan), "--plan", "biz", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["created"] == 5 and first["generated_refs"] == ["1.1", "1.2", "2.1", "2.2", "2.3"]
    assert main(["import", str(plan), "--plan", "biz", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["created"], again["updated"]) == (0, 0)


@pytest.mark.parametrize("name", sorted(p.name for p in PLANS.iterdir() if not p.name.endswith((".json", ".py"))))
def test_reimport_of_every_format_changes_nothing(name: str, sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    assert main(["import", str(PLANS / name), "--plan", "p", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["created"] > 0
    main(["actions", "--plan", "p", "--json"])
    before = capsys.readouterr().out
    assert main(["import", str(PLANS / name), "--plan", "p", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["created"], again["updated"]) == (0, 0)
    main(["actions", "--plan", "p", "--json"])
    assert capsys.readouterr().out == before


def test_brag_plan_keeps_complete_apart_from_green_and_exports_back_unchanged(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    assert main(["import", str(PLANS / "ccg_cqc_brag.xlsx"), "--plan", "cqc", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rating_scale"] == "brag"
    main(["actions", "--plan", "cqc", "--json"])
    rows = {r["ref"]: r for r in json.loads(capsys.readouterr().out)}
    assert (rows["1a"]["rag"], rows["1a"]["complete"]) == ("green", True)  # B = complete
    assert (rows["1b"]["rag"], rows["1b"]["complete"]) == ("green", False)  # G = on track: still reminded
    out = tmp_path / "cqc.xlsx"
    assert main(["export", "--plan", "cqc", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["import", str(out), "--plan", "cqc", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["created"], summary["updated"]) == (0, 0), summary


def test_dry_run_shows_the_mapping_rows_and_warnings_and_writes_nothing(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    assert main(["import", str(PLANS / "ofsted_improvement.xlsx"), "--plan", "o", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Ofsted Para No" in out and "-> extra" in out and "Lead officer" in out and "-> owner" in out
    assert "1.1 " in out and "Spring 2024" in out and "Dry run: nothing was written." in out
    main(["actions", "--plan", "o", "--json"])
    assert json.loads(capsys.readouterr().out or "[]") == []


def test_map_and_sheet_flags(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    plan = tmp_path / "odd.csv"
    plan.write_text("Item,Thing to do,Named person,Finish,Colour\n1,Write it,Pat,1 May 2023,Red\n", encoding="utf-8")
    assert main(["import", str(plan), "--plan", "m", "--dry-run", "--json",
                 "--map", "Thing to do=action,Named person=owner,Finish=due,Colour=rag"]) == 0
    first = json.loads(capsys.readouterr().out)["first_rows"][0]
    assert (first["ref"], first["owner_text"], first["due"], first["rag"]) == ("1", "Pat", "2023-05-01", "red")
    assert main(["import", str(PLANS / "ccg_cqc_brag.xlsx"), "--plan", "m", "--dry-run", "--sheet", "Nope"]) == 2
    err = capsys.readouterr().err
    assert "no sheet named 'Nope'" in err and "Action plan" in err and "ccg_cqc_brag.xlsx" in err
    assert main(["import", str(plan), "--plan", "m", "--map", "Finish=when"]) == 2
    assert "unknown field 'when'" in capsys.readouterr().err


def test_a_refusal_names_the_file_the_table_and_the_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "minutes.csv"
    plan.write_text("Title,Owner,Due,Notes\nMinutes,Pat,1 May 2023,none\n", encoding="utf-8")
    assert main(["import", str(plan), "--plan", "x", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert str(plan) in err and "no Action column" in err and "line 1" in err and "Traceback" not in err


def test_directory_suggest_drafts_people_roles_and_groups_and_check_lists_unresolved(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import tomllib

    config = tmp_path / "planwarden.toml"
    config.write_text('[[plans]]\nkey = "biz"\ntitle = "Business plan"\n', encoding="utf-8")
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(config))
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", sqlite_url)
    plan = tmp_path / "owners.csv"
    plan.write_text("Ref,Action,Lead,Due\n"
                    "1,Train staff,\"Inspector Adams, DCI Littlewood and Jane Shuttleworth\",1 May 2023\n"
                    "2,Audit cases,\"Neglect Sub-Group; Head of Safeguarding, Acute Trust\",1 June 2023\n"
                    "3,Report,\"Head of Safeguarding, Acute Trust\",1 July 2023\n", encoding="utf-8")
    assert main(["import", str(plan), "--plan", "biz"]) == 0
    capsys.readouterr()
    out = tmp_path / "directory.toml"
    assert main(["directory", "suggest", "--plan", "biz", "--out", str(out), "--json"]) == 0
    found = {(s["kind"], s["name"]): s["refs"] for s in json.loads(capsys.readouterr().out)}
    assert found[("person", "Inspector Adams")] == ["1"] and ("person", "Jane Shuttleworth") in found
    assert found[("group", "Neglect Sub-Group")] == ["2"]
    assert found[("role", "Head of Safeguarding, Acute Trust")] == ["2", "3"]  # one post, not two
    draft = tomllib.loads(out.read_text(encoding="utf-8"))
    assert {p["name"] for p in draft["people"]} >= {"Inspector Adams", "DCI Littlewood", "Jane Shuttleworth"}
    assert [g["name"] for g in draft["groups"]] == ["Neglect Sub-Group"]
    assert main(["directory", "suggest", "--plan", "biz", "--out", str(out)]) == 2  # never overwritten
    capsys.readouterr()
    assert main(["check", "--no-mailbox", "--json"]) == 0
    unresolved = json.loads(capsys.readouterr().out)["unresolved_owners"]["biz"]
    assert [u["ref"] for u in unresolved] == ["1", "2", "3"]


def test_ratings_given_by_cell_colour_alone_in_word_and_excel(tmp_path: Path) -> None:
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from openpyxl import Workbook
    from openpyxl.styles import PatternFill

    doc = Document()
    table = doc.add_table(rows=3, cols=4)
    for r, row in enumerate([["Action", "Lead", "Due", "RAG"], ["Write it", "Pat", "1 May 2023", ""],
                             ["Check it", "Sam", "1 June 2023", ""]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    for r, fill in ((1, "FF0000"), (2, "00B050")):
        shd = OxmlElement("w:shd")
        shd.set(qn("w:val"), "clear")
        shd.set(qn("w:fill"), fill)
        table.cell(r, 3)._tc.get_or_add_tcPr().append(shd)
    doc.save(tmp_path / "colours.docx")
    assert [(a.ref, a.rag) for a in read_document(tmp_path / "colours.docx").actions] == [("1", "red"), ("2", "green")]

    wb = Workbook()
    ws = wb.active
    ws.append(["Ref", "Action", "Owner", "Due", "RAG"])
    ws.append(["1.1", "Write it", "Pat", "1 May 2023", None])
    ws.append(["Leadership and governance"])  # a band across the sheet: a heading, not part of 1.1
    ws.append(["1.2", "Check it", "Sam", "1 June 2023", None])
    ws["E2"].fill = PatternFill("solid", fgColor="FFC000")
    ws["E4"].fill = PatternFill("solid", fgColor="0070C0")
    wb.save(tmp_path / "colours.xlsx")
    parsed = read_document(tmp_path / "colours.xlsx")
    assert [(a.ref, a.rag, a.complete, a.text) for a in parsed.actions] == [
        ("1.1", "amber", False, "Write it"), ("1.2", "green", True, "Check it")]
    assert parsed.rating_scale == "brag"  # a Blue action: Blue means complete
