"""A pack document as a tagged PDF, laid out by Typst (``templates/pack/pack.typ``).

Typst was chosen by measurement (docs/benchmarks.md): it lays out the 2,000-action
pack in one document, tagged (PDF/UA-1), several times faster and in a fraction of
WeasyPrint's memory, so the pack is one document again: the contents, page numbers,
links and bookmarks are Typst's own. The document's date is the pack's cut-off, never
the clock, so a rebuilt pack is byte-identical (same Typst, same fonts).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import planwarden
from planwarden.pack import charts
from planwarden.pack.compute import PackData
from planwarden.pack.document import Document

TEMPLATE = planwarden.TEMPLATES / "pack" / "pack.typ"
CHILD = Path(__file__).with_name("typst_child.py")  # Typst's compile, in a process of its own
STANDARDS = ["ua-1"]  # PDF/UA-1: Typst refuses to write it without a title, alt text, a language


class TypesetError(RuntimeError):
    """Typst refused the document (a template mistake, never the user's data)."""


def drawn(pack: PackData, fmts: tuple[str, ...] = ("svg", "png")) -> dict[str, dict[str, bytes]]:
    """Each chart drawn in ``fmts``, SVG for the PDF and PNG for Word: {"section": {"svg": ..., "png": ...}, ...}."""
    return {"section": charts.section_charts(pack.sections, fmts),
            "trend": charts.trend_charts(pack.trend, fmts)}


def chart_svgs(figures: dict[str, dict[str, bytes]]) -> dict[str, str]:
    """The charts as SVG text for Typst's sys.inputs (strings only)."""
    return {f"chart-{name}": formats["svg"].decode("utf-8") for name, formats in figures.items()}


def payload(doc: Document) -> str:
    """The document as the JSON the template reads."""
    moment = doc.moment.astimezone(dt.timezone.utc)
    data = {"title": doc.title, "header": doc.header, "footer": doc.footer, "cover": doc.cover,
            "author": doc.author, "subject": doc.subject, "charts": doc.charts,
            "date": [moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second],
            "chapters": [dataclasses.asdict(c) for c in doc.chapters]}
    return json.dumps(data, ensure_ascii=False, default=str)


def typeset(doc: Document, svgs: dict[str, str] | None = None) -> bytes:
    """Compile ``doc`` to a tagged PDF, in a child process (``typst_child``): Typst's
    caches (the whole laid-out document) go when it ends, not at this process's end."""
    request = json.dumps({"template": str(TEMPLATE), "root": str(TEMPLATE.parent), "standards": STANDARDS,
                          "inputs": {"doc": payload(doc), **(svgs or {})}}, ensure_ascii=False)
    done = subprocess.run([sys.executable, str(CHILD)], input=request.encode("utf-8"), capture_output=True, check=False)
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise TypesetError(f"Typst could not lay out {doc.title!r}: {reason}")
    return done.stdout

