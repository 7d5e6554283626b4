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

from planwarden.core.text import safe_text
from planwarden.plan.models import Action
from planwarden.plan.queries import area_label, load_actions, section_label
from planwarden.plan.rag import display
from planwarden.plan.store import latest_update

COLUMNS = [("Section", 28), ("Area", 28), ("Ref", 7), ("Action", 60), ("Owner", 30), ("Due", 16),
           ("RAG", 8), ("Progress", 80)]
FORMULA_STARTS = ("=", "+", "-", "@")  # what spreadsheet programs read as the start of a formula
RAG_FILL = {"red": "F4B6B6", "amber": "FFD89B", "green": "B7E1B0", "blue": "B4D5F0"}


def export_plan(session: Session, plan_key: str, out: Path) -> int:
    """Write the plan's live actions to ``out`` (.xlsx); returns the number of rows."""
    actions = load_actions(session, plan_key)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Actions"
    extras = list(dict.fromkeys(name for a in actions for name in (a.extra or {})))
    brag = any(a.plan.rating_scale == "brag" for a in actions)
    _header(ws, extras, brag)
    for row, action in enumerate(actions, start=2):
        _row(ws, row, action, extras)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{ws.cell(row=1, column=len(COLUMNS) + len(extras)).column_letter}{max(len(actions) + 1, 1)}"
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return len(actions)


def _header(ws: Worksheet, extras: list[str], brag: bool) -> None:
    """The importer's column names; "BRAG" over the ratings of a BRAG plan; the plan's own columns after."""
    columns = [("BRAG" if brag and name == "RAG" else name, width) for name, width in COLUMNS]
    for col, (name, width) in enumerate([*columns, *((e, 30) for e in extras)], start=1):
        cell = ws.cell(row=1, column=col, value=name)
        cell.font = Font(bold=True)
        ws.column_dimensions[cell.column_letter].width = width


def _row(ws: Worksheet, row: int, action: Action, extras: list[str]) -> None:
    latest = latest_update(action)
    shown = display(action.rag, action.complete, action.plan.rating_scale)
    values = [section_label(action), area_label(action), action.ref, action.text, action.owner_text,
              action.due_text or (action.due.strftime("%-d %B %Y") if action.due else ""),
              (shown or "").capitalize(), latest.text if latest else "",
              *((action.extra or {}).get(name, "") for name in extras)]
    for col, value in enumerate(values, start=1):
        value = safe_text(value) if isinstance(value, str) else value  # text stored before import cleaned it
        cell = ws.cell(row=row, column=col, value=value or None)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if isinstance(value, str) and value[:1] in FORMULA_STARTS:
            cell.data_type = "s"  # an owner's "=HYPERLINK(…)" stays the text they wrote, never a formula
            cell.quotePrefix = True  # and stays text when someone edits the cell in Excel
    if shown in RAG_FILL:
        ws.cell(row=row, column=7).fill = PatternFill("solid", fgColor=RAG_FILL[shown])
