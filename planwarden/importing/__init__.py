"""Importing a plan document into the store.

Reading (seed text, CSV, XLSX) is pure and lives in the sibling modules; this module
picks the reader, then stores the result: re-importing updates actions by ref,
records every change in the history and never duplicates anything.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from planwarden.core.config import Config
from planwarden.plan.directory import Directory
from planwarden.importing.errors import ImportFormatError
from planwarden.importing.parsed import ParsedAction, ParsedPlan, Warning_
from planwarden.importing.tables import Preview
from planwarden.importing.writer import PlanWriter


@dataclass
class ImportSummary:
    """What an import did (or, with ``dry_run``, would read): the same summary either way."""

    plan: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[Warning_] = field(default_factory=list)
    preview: Preview = field(default_factory=Preview)
    actions: list[ParsedAction] = field(default_factory=list)
    dry_run: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"plan": self.plan, "created": self.created, "updated": self.updated,
                "warnings": [w.as_json() for w in self.warnings], "format": self.preview.format,
                "rating_scale": self.preview.scale, "dry_run": self.dry_run,
                "columns": [{"table": name, "mapping": mapping} for name, mapping in self.preview.mappings],
                "generated_refs": list(self.preview.generated_refs), "actions": len(self.actions),
                "first_rows": [row_json(a) for a in self.actions[:5]]}


def row_json(action: ParsedAction) -> dict[str, Any]:
    """An action as read (for the preview)."""
    return {"ref": action.ref, "text": action.text[:200], "owner_text": action.owner_text,
            "due": action.due.isoformat() if action.due else None, "due_text": action.due_text,
            "rag": action.rag, "complete": action.complete, "extra": action.extra, "line": action.line}


@dataclass
class ReadOptions:
    """What the user told ``import``: ``--sheet``, ``--map``."""

    sheet: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)


def detect_format(data: bytes) -> str:
    """'docx', 'xlsx', 'pdf', 'csv' or 'text', from the bytes (the extension is never trusted);
    else a kind that ``_REFUSED`` explains (an encrypted workbook is an OLE file too, but "save
    it as .xlsx" would send its owner the wrong way)."""
    if data[:4] == b"PK\x03\x04":
        names = _zip_names(data)
        if names is None:
            return "damaged"
        if any(n.startswith("word/") for n in names):
            return "docx"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        return "opendocument" if "content.xml" in names and "mimetype" in names else "zip"
    if data.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # an OLE container: old Office, or a password
        return "encrypted" if "EncryptedPackage".encode("utf-16-le") in data else "ole"
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    return "csv" if _looks_like_csv(data) else "text"


def _zip_names(data: bytes) -> list[str] | None:
    """The archive's names; None when it cannot be opened (cut short by a copy or a download)."""
    import io
    import zipfile

    try:
        return zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        return None


def _looks_like_csv(data: bytes) -> bool:
    """A header row of known columns among the first six non-empty lines, or a regular grid.

    Text copied out of Word with tab-separated tables (seed 003) has paragraphs before its
    first table: that is the seed text layout, read by its own reader.
    """
    import csv
    import io

    from planwarden.importing.spreadsheet import decode, delimiter
    from planwarden.importing.tables import column_key

    text = decode(data[:200_000])
    sep = delimiter(text)
    rows = [r for r in itertools.islice(csv.reader(io.StringIO(text, newline=""), delimiter=sep), 60) if any(r)]
    for cells in rows[:6]:
        if len(cells) >= 3 and len({column_key(c.strip()) for c in cells} - {None}) >= 2:
            return True
    widths = {len(r) for r in rows[:20]}
    return len(rows) >= 2 and len(widths) == 1 and widths.pop() >= 3  # every row the same number of cells


_REFUSED = {
    "zip": "a ZIP archive that is neither a Word nor an Excel document",
    "ole": "an old binary Office file (.doc/.xls): save it as .docx or .xlsx and import that",
    "encrypted": "the file is password-protected (encrypted): open it, remove the password (File > Info > "
                 "Protect Workbook/Document > Encrypt with Password, clear it), save it and import that",
    "damaged": "the file is damaged or incomplete (it starts like a Word or Excel file but cannot be opened): "
               "copy or download it again, or open it in Word or Excel and save it again",
    "opendocument": "an OpenDocument file (.ods/.odt): save it as .xlsx (or .docx) and import that",
    "binary": "a binary file, not a plan (expected Word, Excel, PDF, CSV or the seed text layout)",
}


def read_document(path: Path, options: ReadOptions | None = None, preview: Preview | None = None) -> ParsedPlan:
    """Pick the reader by content; refuse what is not a plan, naming the file and the reason."""
    options = options or ReadOptions()
    data = _read_bytes(path)
    kind = detect_format(data)
    if kind in _REFUSED:
        raise ImportFormatError(f"{path}: {_REFUSED[kind]}")
    try:
        parsed = _parse(kind, data, path, options, preview)
    except ImportFormatError as exc:
        raise ImportFormatError(f"{path}: {exc}") from None
    return _require_actions(parsed, path)


def _parse(kind: str, data: bytes, path: Path, options: ReadOptions, preview: Preview | None) -> ParsedPlan:
    if options.sheet and kind != "xlsx":
        raise ImportFormatError("--sheet only applies to an Excel workbook")
    if kind == "xlsx":
        from planwarden.importing.spreadsheet import parse_xlsx
        return parse_xlsx(data, sheet=options.sheet, mapping=options.mapping, preview=preview)
    if kind == "docx":
        from planwarden.importing.wordpdf import parse_docx
        return parse_docx(data, mapping=options.mapping, preview=preview)
    if kind == "pdf":
        from planwarden.importing.wordpdf import parse_pdf
        return parse_pdf(data, mapping=options.mapping, preview=preview)
    if kind == "csv":
        from planwarden.importing.spreadsheet import parse_csv
        return parse_csv(data, mapping=options.mapping, preview=preview)
    from planwarden.importing.seedtext import parse_seed_text
    from planwarden.importing.texttables import parse_text_tables

    text = _decode(data, path)
    parsed = parse_seed_text(text)
    if parsed.actions:
        if preview is not None:
            preview.format = "text (seed layout)"
        return parsed
    from planwarden.importing.spreadsheet import parse_csv

    for reader in (lambda: parse_csv(data, mapping=options.mapping, preview=preview),  # a title longer than usual
                   lambda: parse_text_tables(text, mapping=options.mapping, preview=preview)):
        try:
            found = reader()
        except ImportFormatError:
            continue
        if found.actions:
            return found
    return parsed  # refused below with the seed reader's own account


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
        raise ImportFormatError(f"{path}: no actions found (no table with an Action column, no rows with a ref "
                                "such as 1.1a)")
    return parsed


def preview_file(path: Path, plan_key: str, options: ReadOptions | None = None) -> ImportSummary:
    """``import --dry-run``: what the reader found, with nothing written."""
    preview = Preview()
    parsed = read_document(path, options, preview)
    return ImportSummary(plan_key, warnings=list(parsed.warnings), preview=preview, actions=parsed.actions,
                         dry_run=True)


def import_file(session: Session, config: Config, path: Path, plan_key: str,
                options: ReadOptions | None = None) -> ImportSummary:
    """Import one document into plan ``plan_key`` inside the caller's transaction."""
    preview = Preview()
    parsed = read_document(path, options, preview)
    writer = PlanWriter(session, config.plan(plan_key), Directory(config.directory),
                        actor=f"import {path.name}", source="import", source_ref=path.name)
    result = writer.write(parsed)
    summary = ImportSummary(plan_key, result.created, result.updated, result.unchanged,
                            [*parsed.warnings, *result.warnings], preview, parsed.actions)
    writer.record_import(path.name, hashlib.sha256(path.read_bytes()).hexdigest(), summary.created,
                         summary.updated, summary.warnings, result.unresolved)
    return summary


__all__ = ["ImportFormatError", "ImportSummary", "ReadOptions", "detect_format", "import_file", "preview_file",
           "read_document"]
