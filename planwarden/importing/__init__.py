"""Importing a plan document into the store.

Reading (seed text, CSV, XLSX) is pure and lives in the sibling modules; this module
picks the reader, then stores the result: re-importing updates actions by ref,
records every change in the history and never duplicates anything.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from planwarden.core.config import Config
from planwarden.plan.directory import Directory
from planwarden.importing.errors import ImportFormatError
from planwarden.importing.parsed import ParsedPlan, Warning_
from planwarden.importing.writer import PlanWriter


@dataclass
class ImportSummary:
    plan: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[Warning_] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"plan": self.plan, "created": self.created, "updated": self.updated,
                "warnings": [w.as_json() for w in self.warnings]}


def read_document(path: Path) -> ParsedPlan:
    """Pick the reader by content and extension; refuse what is not a plan."""
    data = _read_bytes(path)
    suffix = path.suffix.lower()
    if data[:4] == b"PK\x03\x04" or suffix == ".xlsx":
        from planwarden.importing.spreadsheet import parse_xlsx
        return _require_actions(parse_xlsx(data), path)
    if b"\x00" in data[:8192]:
        raise ImportFormatError(f"{path}: a binary file, not a plan (expected seed text, CSV or XLSX)")
    if suffix == ".csv":
        from planwarden.importing.spreadsheet import parse_csv
        return _require_actions(parse_csv(data), path)
    from planwarden.importing.seedtext import parse_seed_text
    return _require_actions(parse_seed_text(_decode(data, path)), path)


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportFormatError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImportFormatError(f"{path}: is a directory, not a file") from None
    except PermissionError:
        raise ImportFormatError(f"{path}: cannot be read (permission denied)") from None
    if not data.strip():
        raise ImportFormatError(f"{path}: the file is empty")
    return data


def _decode(data: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFormatError(f"{path}: not readable as text (neither UTF-8 nor Windows-1252)")


def _require_actions(parsed: ParsedPlan, path: Path) -> ParsedPlan:
    if not parsed.actions:
        raise ImportFormatError(f"{path}: no action table found (no rows with a ref such as 1.1a)")
    return parsed


def import_file(session: Session, config: Config, path: Path, plan_key: str) -> ImportSummary:
    """Import one document into plan ``plan_key`` inside the caller's transaction."""
    parsed = read_document(path)
    writer = PlanWriter(session, config.plan(plan_key), Directory(config.directory),
                        actor=f"import {path.name}", source="import", source_ref=path.name)
    result = writer.write(parsed)
    summary = ImportSummary(plan_key, result.created, result.updated, result.unchanged,
                            [*parsed.warnings, *result.warnings])
    writer.record_import(path.name, hashlib.sha256(path.read_bytes()).hexdigest(), summary.created,
                         summary.updated, summary.warnings, result.unresolved)
    return summary


__all__ = ["ImportFormatError", "ImportSummary", "import_file", "read_document"]
