"""Writing a plan out as a spreadsheet a secretary can edit and import back.

The columns are the ones the importer reads, and the due date is written as the
text people wrote (so milestones survive): importing the export changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from planwarden.plan.models import Action
from planwarden.plan.queries import area_label, load_actions, section_label
from planwarden.plan.store import latest_update

COLUMNS = [("Section", 28), ("Area", 28), ("Ref", 7), ("Action", 60), ("Owner", 30), ("Due", 16),
           ("RAG", 8), ("Progress", 80)]
RAG_FILL = {"red": "F4B6B6", "amber": "FFD89B", "green": "B7E1B0"}


def export_plan(session: Session, plan_key: str, out: Path) -> int:
    """Write the plan's live actions to ``out`` (.xlsx); returns the number of rows."""
    actions = load_actions(session, plan_key)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Actions"
    _header(ws)
    for row, action in enumerate(actions, start=2):
        _row(ws, row, action)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:H{max(len(actions) + 1, 1)}"
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return len(actions)


def _header(ws: Worksheet) -> None:
    for col, (name, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=col, value=name)
        cell.font = Font(bold=True)
        ws.column_dimensions[cell.column_letter].width = width


def _row(ws: Worksheet, row: int, action: Action) -> None:
    latest = latest_update(action)
    values = [section_label(action), area_label(action), action.ref, action.text, action.owner_text,
              action.due_text or (action.due.strftime("%-d %B %Y") if action.due else ""),
              (action.rag or "").capitalize(), latest.text if latest else ""]
    for col, value in enumerate(values, start=1):
        cell = ws.cell(row=row, column=col, value=value or None)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    if action.rag in RAG_FILL:
        ws.cell(row=row, column=7).fill = PatternFill("solid", fgColor=RAG_FILL[action.rag])
