"""Builds the import fixtures: plans laid out as partnerships publish them (Word, Excel, PDF, CSV).

The layouts follow public plans of each kind (a council + NHS joint SEND commissioning plan,
an LSCB business plan, an Ofsted improvement plan, a CCG CQC action plan with a BRAG key,
an LSCB review progress update, CSV exports in other delimiters and encodings); the wording
is our own. Each file has a truth file (``NAME.truth.json``) written from reading the
document: refs, due dates, owners, ratings. Run ``python tests/data/plans/build.py`` to
rebuild; the built files are committed so the tests need neither Word nor WeasyPrint.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from docx import Document
from openpyxl import Workbook

HERE = Path(__file__).resolve().parent


def send_commissioning() -> None:
    """Word: unnumbered Heading 1 per priority with findings text; a table per priority; the first
    table continued after a page break without its header; a Lead merged down two rows."""
    doc = Document()
    doc.add_paragraph("Joint SEND Commissioning Action Plan 2023/24", style="Title")
    doc.add_paragraph("Council and Integrated Care Board. Updated quarterly.")
    header = ["Ref", "Action", "Lead", "By when", "RAG", "Progress update", "Evidence"]
    rows1 = [
        ["1.1", "Agree a joint commissioning framework for therapies", "Head of Joint Commissioning",
         "Q3 2023/24", "G", "Framework agreed at the Health and Wellbeing Board", "HWB minutes"],
        ["1.2", "Map speech and language therapy demand across the area", "Designated Clinical Officer",
         "31/03/2024", "Amber", "Data gathered from two of three providers", ""],
        ["1.3", "Publish the sufficiency statement for specialist places", "", "2023/24", "On track", "", ""],
    ]
    rows1b = [["1.4", "Pool budgets for joint placements", "Director of Finance", "05/01/2024", "Red",
               "Legal advice awaited", "Section 75 draft"]]
    rows2 = [
        ["2.1", "Start transition planning from Year 9 in every EHC plan", "SEND Service Manager",
         "Ongoing", "Complete", "All Year 9 reviews now include a transition section", "Audit 2023"],
        ["2.2", "Commission a supported internship programme", "Commissioning Manager (Adults)",
         "Q1 2024/25", "A", "Tender issued", ""],
    ]
    doc.add_heading("Joint commissioning", level=1)
    doc.add_paragraph("The inspection found that leaders did not commission therapies jointly.")
    table = _docx_table(doc, [header, *rows1])
    table.cell(2, 2).merge(table.cell(3, 2))  # one lead for 1.2 and 1.3
    table.cell(2, 2).text = "Designated Clinical Officer"
    doc.add_page_break()
    _docx_table(doc, rows1b)  # continued on the next page, no header
    doc.add_heading("Preparing for adulthood", level=1)
    _docx_table(doc, [header, *rows2])
    doc.save(HERE / "send_commissioning.docx")


def lscb_business_plan() -> None:
    """Word: numbered headings, no refs at all, 'What does success look like?', status words."""
    doc = Document()
    doc.add_heading("Local Safeguarding Children Board Business Plan 2014-16", level=0)
    header = ["What we will do", "Who", "When", "What does success look like?", "Status"]
    doc.add_heading("1. Early help", level=1)
    doc.add_paragraph("Families get help as soon as problems emerge.")
    _docx_table(doc, [header,
                      ["Launch the multi-agency early help assessment", "Early Help Strategic Group", "April 2014",
                       "Assessments rise by a fifth", "Achieved"],
                      ["Train 200 practitioners as lead professionals", "LSCB Training Officer", "Autumn 2014",
                       "200 trained", "Work in progress"]])
    doc.add_heading("2. Neglect", level=1)
    _docx_table(doc, [header,
                      ["Adopt the graded care profile", "Neglect Sub-Group", "Q2 2014/15", "Used in all cases",
                       "Not started"],
                      ["Audit neglect cases in health visiting", "Named Nurse", "TBC", "Audit reported", "Delayed"],
                      ["Report to the Board on neglect", "LSCB Chair; Business Manager", "2015/16",
                       "Board assured", "On track"]])
    doc.save(HERE / "lscb_business_plan.docx")


def ofsted_improvement() -> None:
    """Excel: title rows, group rows merged across the sheet, refs inside the action cell,
    'Ofsted Para No', a 1-4 'Assessment of progress', real dates and a season."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Improvement plan"
    ws.append(["Children's Services Improvement Plan following the Ofsted inspection"])
    ws.append(["Version 3, updated 1 September 2023"])
    ws.append([])
    ws.append(["Ofsted Para No", "Action", "Lead officer", "Target date", "Assessment of progress", "Evidence"])
    ws.append(["1. Leadership and management"])
    ws.merge_cells("A5:F5")
    ws.append(["12", "1.1 Ensure that senior leaders receive monthly performance reports", "Director of Children's Services",
               dt.datetime(2023, 10, 31), 1, "Reports since July"])
    ws.append(["12, 14", "1.2 Strengthen management oversight of supervision", "Head of Safeguarding",
               "Sept 2023", 2, ""])
    ws.append(["2. Help and protection"])
    ws.merge_cells("A8:F8")
    ws.append(["20", "2.1 Reduce caseloads to no more than 20 children", "Assistant Director, Social Care",
               "Spring 2024", 3, ""])
    ws.append(["22", "2.2 Improve the timeliness of initial child protection conferences", "Conference Service Manager",
               dt.datetime(2024, 1, 15), 4, "Timeliness at 62%"])
    ws.append(["23", "2.3 Review the front door thresholds document", "Head of MASH", "31.12.2023", 2, ""])
    wb.save(HERE / "ofsted_improvement.xlsx")


def ccg_cqc_brag() -> None:
    """Excel: a BRAG key above the table, numbered group rows with lettered actions, 'Responsible'."""
    wb = Workbook()
    notes = wb.active
    notes.title = "Read me"
    notes.append(["This workbook holds the CQC action plan. Key: B = Complete, G = On track, "
                  "A = Some slippage, R = Not on track"])
    ws = wb.create_sheet("Action plan")
    ws.append(["CCG CQC Children Looked After and Safeguarding review: action plan"])
    ws.append(["Ref", "Recommendation / Action", "Responsible", "Timescale", "BRAG", "Comments"])
    ws.append(["1", "Improve the quality of initial health assessments", None, None, None, None])
    ws.append(["a", "Audit a sample of initial health assessments every quarter", "Designated Doctor LAC",
               "30/06/2023", "B", "Audit completed"])
    ws.append(["b", "Provide training on health assessments for GPs", "Named GP", "September 2023", "G", ""])
    ws.append(["c", "Report audit results to the safeguarding committee", "Designated Nurse", "Q3 2023/24", "A", ""])
    ws.append(["2", "Strengthen information sharing with the emergency department", None, None, None, None])
    ws.append(["a", "Flag children subject to a plan on the ED system", "Head of Safeguarding, Acute Trust",
               "31 March 2024", "R", "IT change delayed"])
    ws.append(["b", "Share ED attendances with school nurses", "School Nursing Lead", "2023/24", "Blue", ""])
    wb.save(HERE / "ccg_cqc_brag.xlsx")


def csv_files() -> None:
    """CSV: semicolons in Windows-1252 with refs '1.'-'5.' and day-first dates; tabs in UTF-16."""
    rows = ["Safeguarding Adults Board – action plan",
            "No.;Action required;Lead officer;Deadline;RAG status;Latest update",
            "1.;Refresh the self-neglect procedure;Board Manager;05/01/2023;Green;Published",
            "2.;Run a workshop on Making Safeguarding Personal;Principal Social Worker;March 2023;Amber;Booked",
            "3.;Agree a transitions protocol with children's services;Head of Adult Social Care;TBC;Red;",
            "4.;Audit mental capacity assessments – café staff included;Named Nurse;12/11/2023;A;",
            "5.;Publish the annual report;Board Manager;30/09/2023;G;Done"]
    (HERE / "sab_semicolon_cp1252.csv").write_bytes("\r\n".join(rows).encode("cp1252") + b"\r\n")
    tsv = ["ID\tTask\tOwner\tDue date\tStatus\tNotes",
           "A1\tReview the missing children protocol\tMissing Children Coordinator\t2023-06-30\tComplete\t",
           "A2\tTrain taxi drivers on exploitation\tLicensing Manager\t31/08/2023\tIn progress\t150 trained",
           "B1\tMap locations of concern with police\tDCI Exploitation Unit\tQ4 2023/24\tAt risk\t"]
    (HERE / "exploitation_tabs_utf16.csv").write_bytes("\r\n".join(tsv).encode("utf-16"))


def pdf_plan() -> None:
    """PDF (WeasyPrint): a numbered heading, a long table over pages with its header repeated,
    page numbers in the margin, a Lead spanning rows."""
    from weasyprint import HTML

    spans, covered = {1: 2, 4: 2, 13: 2}, {2, 5, 14}  # a Lead over two rows, never across a page
    body, truth = [], {}
    for n in range(1, 19):
        owner = _LEADS[(n - 1 if n in covered else n) % len(_LEADS)]
        lead = "" if n in covered else f"<td rowspan='{spans.get(n, 1)}'>{owner}</td>"
        due = dt.date(2023, 1, 31) + dt.timedelta(days=30 * n)
        body.append(f"<tr><td>2.{n}</td><td>{_PDF_ACTIONS[n % len(_PDF_ACTIONS)]} (part {n}) so that "
                    f"practitioners across the partnership know what to do.</td>{lead}"
                    f"<td>{due.strftime('%d %B %Y')}</td><td>{'RAG'[n % 3]}</td></tr>")
        truth[f"2.{n}"] = {"due": due.isoformat(), "owner": owner, "rag": {"R": "red", "A": "amber", "G": "green"}[
            "RAG"[n % 3]], "complete": "RAG"[n % 3] == "G"}
    _write_truth("multiagency_plan.pdf", "rag", truth)
    html = f"""<html><head><style>
      @page {{ size: A4; margin: 2cm; @bottom-center {{ content: "Page " counter(page) " of " counter(pages); }}
               @top-right {{ content: "Multi-agency action plan – OFFICIAL"; }} }}
      table {{ border-collapse: collapse; width: 100% }} td, th {{ border: 1px solid black; padding: 4px;
      vertical-align: top }} tr {{ page-break-inside: avoid }}
    </style></head><body><h1>Multi-agency action plan</h1>
    <h2>2. Identifying needs</h2><table><thead><tr><th>Ref</th><th>Action</th><th>Lead</th><th>Due by</th>
    <th>RAG</th></tr></thead><tbody>{''.join(body)}</tbody></table></body></html>"""
    HTML(string=html).write_pdf(HERE / "multiagency_plan.pdf")


_LEADS = ["Head of Early Help", "DCI Public Protection", "Designated Nurse", "LSCP Business Manager"]
_PDF_ACTIONS = ["Review the neglect strategy", "Embed the graded care profile", "Audit strategy discussions",
                "Refresh the escalation policy", "Train staff on contextual safeguarding"]


def _write_truth(name: str, scale: str, actions: dict[str, dict[str, object]]) -> None:
    import json

    (HERE / f"{name}.truth.json").write_text(json.dumps({"file": name, "rating_scale": scale, "actions": actions},
                                                        indent=1) + "\n")


def _docx_table(doc: object, rows: list[list[str]]) -> object:
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    return table


if __name__ == "__main__":
    # partnership_markdown.txt (a Markdown table in a text file) is written by hand.
    for build in (send_commissioning, lscb_business_plan, ofsted_improvement, ccg_cqc_brag, csv_files, pdf_plan):
        build()
    sys.exit(0)
