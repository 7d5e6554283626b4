"""Sample contexts for `planwarden preview-emails`: the pack email and the secretary's annex email."""

from __future__ import annotations

from typing import Any

from planwarden.mail.emails import sample


@sample("pack")
def _pack() -> dict[str, Any]:
    return {
        "plan": {"key": "jtai", "title": "JTAI Action Plan — Criminal Exploitation of Children",
                 "partnership": "Cheshire East Safeguarding Children's Partnership"},
        "as_of": "14 December 2022", "meeting": "JTAI Improvement Board",
        "meeting_when": "Wednesday 21 December 2022, 14:00",
        "counts": {"red": 0, "amber": 42, "green": 35, "none": 0, "total": 77},
        "exceptions": [{"label": "Overdue", "actions": [{"ref": "3.1a", "note": "154 days overdue"}]}],
        "quarantined": 1, "due_next": 11,
        "changes": {"since": "30 November 2022", "turned_green": 3, "turned_red": 0, "newly_overdue": 1,
                    "new_updates": 12},
        "attached": True, "size_mb": "0.4", "pdf_path": "/var/lib/planwarden/packs/jtai/2022-12/pack.pdf",
        "docx_path": "/var/lib/planwarden/packs/jtai/2022-12/pack.docx", "sha256": "6ad0dcb7b5221a78" * 4,
    }


@sample("pack_annex")
def _pack_annex() -> dict[str, Any]:
    return {"plan": {"key": "jtai", "title": "JTAI Action Plan — Criminal Exploitation of Children"},
            "as_of": "14 December 2022", "meeting": "JTAI Improvement Board"}
