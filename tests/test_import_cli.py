"""Importing real plans through the command line, as a secretary or a script would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from planwarden.cli import main
from seeds import SEED_000, SEED_003, seed_path


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, object, str]:
    code = main(list(args))
    out = capsys.readouterr()
    data = json.loads(out.out) if "--json" in args and out.out.strip() else out.out
    return code, data, out.err


def test_seed_000_imports_77_actions_and_reimport_changes_nothing(
        jtai_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, summary, _ = _run(capsys, "import", str(seed_path(SEED_000)), "--plan", "jtai", "--json")
    assert code == 0 and summary["created"] == 77 and summary["updated"] == 0  # type: ignore[index]
    _, first, _ = _run(capsys, "actions", "--plan", "jtai", "--json")
    code, again, _ = _run(capsys, "import", str(seed_path(SEED_000)), "--plan", "jtai", "--json")
    assert (again["created"], again["updated"]) == (0, 0)  # type: ignore[index]
    _, second, _ = _run(capsys, "actions", "--plan", "jtai", "--json")
    assert first == second
    rows = {r["ref"]: r for r in first}  # type: ignore[union-attr]
    assert len(rows) == 77
    assert [r["rag"] for r in first].count("green") == 35  # type: ignore[union-attr]
    assert [r["rag"] for r in first].count("amber") == 42  # type: ignore[union-attr]
    adams = rows["5.4g"]
    assert [o["name"] for o in adams["owners"]] and len(adams["owners"]) == 3
    assert rows["6.1c"]["due"] == "2023-02-03" and rows["6.1c"]["milestones"] == ["2022-12-23"]
    assert rows["1.1a"]["section"].startswith("1. Children") and rows["1.1a"]["area"] == "1.1 Partnership practice"
    assert rows["1.1a"]["updates"][0]["date"] == "2022-12-14"
    assert all(r["owners"] for r in first), "every owner in seed 000 resolves with the jtai directory"


def test_actions_json_is_identical_on_sqlite_and_postgresql(
        monkeypatch: pytest.MonkeyPatch, sqlite_url: str, pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(Path(__file__).parents[1] / "config/examples/jtai/planwarden.toml"))
    outputs = []
    for url in (sqlite_url, pg_url):
        monkeypatch.setenv("PLANWARDEN_DATABASE_URL", url)
        assert main(["import", str(seed_path(SEED_000)), "--plan", "jtai"]) == 0
        capsys.readouterr()
        assert main(["actions", "--plan", "jtai", "--json"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]


def test_seed_003_flags_2103_and_lists_rows_for_review(db_url: str, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", db_url)
    code, summary, _ = _run(capsys, "import", str(seed_path(SEED_003)), "--plan", "cse", "--json")
    assert code == 0
    warnings = summary["warnings"]  # type: ignore[index]
    assert any(w["field"] == "due" and "2103" in w["message"] for w in warnings)
    assert sum(w["field"] == "row" for w in warnings) >= 5
    _, rows, _ = _run(capsys, "actions", "--plan", "cse", "--json")
    refs = [r["ref"] for r in rows]  # type: ignore[union-attr]
    assert {"1.1", "1.2", "1.5", "1.6", "2.1", "2.2", "3.3", "3.4", "5.1", "5.6", "6.1"} <= set(refs)
    code, again, _ = _run(capsys, "import", str(seed_path(SEED_003)), "--plan", "cse", "--json")
    assert (again["created"], again["updated"]) == (0, 0)  # type: ignore[index]


def test_export_then_import_changes_nothing(jtai_env: str, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys, "import", str(seed_path(SEED_000)), "--plan", "jtai")
    _, before, _ = _run(capsys, "actions", "--plan", "jtai", "--json")
    out = tmp_path / "plan.xlsx"
    assert _run(capsys, "export", "--plan", "jtai", "--out", str(out))[0] == 0
    code, summary, _ = _run(capsys, "import", str(out), "--plan", "jtai", "--json")
    assert code == 0 and (summary["created"], summary["updated"]) == (0, 0), summary  # type: ignore[index]
    _, after, _ = _run(capsys, "actions", "--plan", "jtai", "--json")
    assert before == after


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary"),
    (b"", "empty"),
    (b"Minutes of the meeting\n\nNothing was agreed.\n", "no actions found"),
])
def test_bad_files_are_refused_clearly(tmp_path: Path, content: bytes | None, message: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plan.txt"
    if content is not None:
        path.write_bytes(content)
    code, _, err = _run(capsys, "import", str(path), "--plan", "x")
    assert code == 2 and message in err and str(path) in err and "Traceback" not in err


def test_csv_with_bom_crlf_duplicates_bad_dates_and_unknown_owner(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    rows = ["Ref,Action,Action Owner,Due by,RAG,Updates / Comment",
            "1.1a,Write the guidance,Nobody In The Directory,31 February 2023,A,Started",
            "1.1b,Train staff,Principal Social Worker,Sept 2103,G,Done",
            "1.1a,Duplicate row,Someone,1 March 2023,R,Again"]
    path = tmp_path / "plan.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode() + b"\r\n")
    code, summary, _ = _run(capsys, "import", str(path), "--plan", "csvplan", "--json")
    assert code == 0 and summary["created"] == 2  # type: ignore[index]
    fields = {(w["ref"], w["field"]) for w in summary["warnings"]}  # type: ignore[index]
    assert ("1.1a", "due") in fields and ("1.1b", "due") in fields
    assert ("1.1a", "owner") in fields  # kept as written, reported, still importable
    assert any(w["field"] in {"ref", "row"} and "1.1a" in (w["ref"] or "") for w in summary["warnings"])  # type: ignore[index]
    _, actions, _ = _run(capsys, "actions", "--plan", "csvplan", "--json")
    first = actions[0]  # type: ignore[index]
    assert first["owner_text"] == "Nobody In The Directory" and first["owners"] == [] and first["due"] is None
    assert first["text"] == "Write the guidance"


def test_xlsx_with_merged_cells(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Ref", "Action", "Lead", "Timescales", "RAG", "Progress"])
    ws.append(["2.1a", "Review flagging", "DCI Littlewood", "1 December 2022", "G", "Done"])
    ws.append(["2.1b", "Share intelligence daily", None, "31 January 2023", "A", "Underway"])
    ws.merge_cells("C2:C3")  # one owner cell spanning two actions, as people do in Excel
    path = tmp_path / "plan.xlsx"
    wb.save(path)
    code, summary, _ = _run(capsys, "import", str(path), "--plan", "x", "--json")
    assert code == 0 and summary["created"] == 2  # type: ignore[index]
    _, actions, _ = _run(capsys, "actions", "--plan", "x", "--json")
    assert [a["owner_text"] for a in actions] == ["DCI Littlewood", "DCI Littlewood"]  # type: ignore[union-attr]
