"""What an importer reads out of a document, before it touches the database.

Every importer (seed text, CSV, XLSX, later DOCX) produces a ``ParsedPlan``; one
function stores it. Keeping the parsed form free of I/O lets the tricky reading of
real documents be tested on its own, line by line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class Warning_:
    """A doubt about one row: nothing is dropped silently, it is reported."""

    ref: str | None
    field: str
    message: str
    line: int | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"ref": self.ref, "field": self.field, "message": self.message}


@dataclass
class ParsedUpdate:
    """A progress text found in the document (becomes the action's first update)."""

    text: str
    date: dt.date | None = None


@dataclass
class ParsedAction:
    ref: str
    text: str
    owner_text: str = ""
    due_text: str = ""
    due: dt.date | None = None
    milestones: list[dt.date] = field(default_factory=list)
    rag: str | None = None  # "red" | "amber" | "green" | None
    progress: str = ""
    section: str | None = None  # section number, e.g. "1"
    area: str | None = None  # area number, e.g. "1.1"
    line: int | None = None  # 1-based line of the row in the source file
    extra: dict[str, str] = field(default_factory=dict)  # columns the importer has no field for, by header
    complete: bool = False  # the rating says the action is done (Complete, Blue on a BRAG plan, Green on RAG)


@dataclass
class ParsedArea:
    number: str  # "1.1"
    title: str
    priority_action: str = ""
    what_needs_to_improve: str = ""
    what_inspectors_found: str = ""


@dataclass
class ParsedSection:
    number: str  # "1"
    title: str
    areas: list[ParsedArea] = field(default_factory=list)
    description: str = ""  # the paragraph under the heading ("The LSCB must ensure …", seed 003)


@dataclass
class ParsedPlan:
    title: str = ""
    update_date: dt.date | None = None  # "Date of progress updates: 14 December 2022"
    sections: list[ParsedSection] = field(default_factory=list)
    actions: list[ParsedAction] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)
    rating_scale: str | None = None  # "rag" | "brag"; None: the reader cannot tell (keep the plan's)
