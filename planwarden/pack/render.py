"""HTML (Jinja2, autoescaped) to PDF (WeasyPrint), from the computed pack.

Text in a pack comes from owners' emails and imported documents: it is data, so the
environment autoescapes everything and the only markup added is ours (paragraphs).
The PDF's dates come from the pack's cut-off, never from the clock, so a rebuilt pack
is byte-identical.
"""

from __future__ import annotations

import base64
import contextlib
import os
import threading
from collections.abc import Iterator
import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from planwarden.pack import charts
from planwarden.pack.compute import PackData, rag_key

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
_ENV_LOCK = threading.Lock()
RAG_WORDS = {"red": "Red", "amber": "Amber", "green": "Green", "none": "Not rated"}


def paragraphs(text: str | None, css_class: str = "") -> Markup:
    """Plain text as escaped paragraphs (blank lines or newlines separate them)."""
    parts = [p.strip() for p in (text or "").replace("\r\n", "\n").split("\n") if p.strip()]
    opening = f'<p class="{css_class}">' if css_class else "<p>"
    return Markup("".join(f"{opening}{escape(p)}</p>" for p in parts))


def long_date(value: dt.date | None) -> str:
    return f"{value:%-d %B %Y}" if value else "—"


def short_date(value: dt.date | None) -> str:
    return f"{value:%-d %b %Y}" if value else "—"


def rag_word(rag: str | None) -> str:
    return RAG_WORDS[rag_key(rag)]


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "htm"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(paras=paragraphs, long_date=long_date, short_date=short_date, rag_word=rag_word,
                       rag_class=rag_key)
    return env


def _data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def render_html(pack: PackData) -> str:
    """The pack as one HTML document (CSS inline so the file stands alone)."""
    env = environment()
    css = (TEMPLATES / "pack" / "pack.css").read_text(encoding="utf-8")
    stamp = pack.cutoff.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    context: dict[str, Any] = {
        "pack": pack, "css": Markup(css), "stamp": stamp, "rag_words": RAG_WORDS,
        "section_chart": _data_uri(charts.section_chart(pack.sections, "svg")),
        "trend_chart": _data_uri(charts.trend_chart(pack.trend, "svg")),
    }
    return env.get_template("pack/pack.html").render(context)


@contextlib.contextmanager
def source_date(moment: dt.datetime) -> Iterator[None]:
    """SOURCE_DATE_EPOCH for the duration: fontTools stamps subset fonts with it
    (otherwise with the current time, and no two PDFs would be equal)."""
    with _ENV_LOCK:
        previous = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("SOURCE_DATE_EPOCH", None)
            else:
                os.environ["SOURCE_DATE_EPOCH"] = previous


def render_pdf(html: str, moment: dt.datetime) -> bytes:
    """WeasyPrint; dates inside come from the pack (``moment``), never from the clock."""
    from weasyprint import HTML

    with source_date(moment):
        return HTML(string=html, base_url=str(TEMPLATES / "pack")).write_pdf(pdf_identifier=False)
