"""HTML (Jinja2, autoescaped) to PDF (WeasyPrint), from the computed pack.

The previous engine: the pack is now laid out by Typst (``typeset``). This one is kept
only for the pack benchmark's side-by-side comparison (docs/benchmarks.md).

Text in a pack comes from owners' emails and imported documents: it is data, so the
environment autoescapes everything and the only markup added is ours (paragraphs).
The PDF is laid out part by part (``parts``), on every core for a big plan, and
joined (``pdf``). Its dates come from the pack's cut-off, never from the clock, so a
rebuilt pack is byte-identical.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from planwarden.pack import charts
from planwarden.pack.compute import PackData, rag_key
from planwarden.pack.document import RAG_WORDS, long_date, rag_word, short_date
from benchmarks.weasyprint_pack.parts import CHUNK_WEIGHT, COVER, Part, batches, body_parts, parallel
from benchmarks.weasyprint_pack.pdf import LINK_SCHEME, NUMBER_STRIP_MM, TEMPLATES, LaidOut, join, lay_out, place, strips

SERIAL_BUDGET = 4 * CHUNK_WEIGHT  # laid out one after another: fewer, bigger documents, memory still bounded


def paragraphs(text: str | None, css_class: str = "") -> Markup:
    """Plain text as escaped paragraphs (blank lines or newlines separate them)."""
    parts = [p.strip() for p in (text or "").replace("\r\n", "\n").split("\n") if p.strip()]
    opening = f'<p class="{css_class}">' if css_class else "<p>"
    return Markup("".join(f"{opening}{escape(p)}</p>" for p in parts))


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "htm"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(paras=paragraphs, long_date=long_date, short_date=short_date, rag_word=rag_word,
                       rag_class=rag_key)
    return env


def _data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


@dataclass(frozen=True)
class Contents:
    """The contents page's links and page numbers: in the PDF, links resolved when the
    parts are joined; in the one-file HTML (no ``pages``), links within the file."""

    pages: Mapping[str, int] | None = None

    def href(self, anchor: str) -> str:
        return f"#{anchor}" if self.pages is None else f"{LINK_SCHEME}{anchor}"

    def page(self, anchor: str) -> str:
        return "" if self.pages is None else str(self.pages[anchor])


def _context(pack: PackData) -> dict[str, Any]:
    css = (TEMPLATES / "pack" / "pack.css").read_text(encoding="utf-8")
    stamp = pack.cutoff.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"pack": pack, "css": Markup(css), "stamp": stamp, "rag_words": RAG_WORDS}


def figures(pack: PackData) -> dict[str, str]:
    """The charts, drawn once however many parts show them."""
    return {"section_chart": _data_uri(charts.section_chart(pack.sections, "svg")),
            "trend_chart": _data_uri(charts.trend_chart(pack.trend, "svg"))}


def parts_html(pack: PackData, parts: list[Part], contents: Contents = Contents(),
               drawn: Mapping[str, str] | None = None) -> str:
    """Some parts as one HTML document (each part from a new page)."""
    context = {**_context(pack), **(drawn or {}), "parts": parts, "toc": contents}
    return environment().get_template("pack/document.html").render(context)


def render_html(pack: PackData) -> str:
    """The whole pack as one HTML document (CSS inline so the file stands alone)."""
    return parts_html(pack, [COVER, *body_parts(pack)], drawn=figures(pack))


def furniture_html(pack: PackData) -> str:
    return environment().get_template("pack/furniture.html").render(
        header=f"{pack.title} — board pack, position at {long_date(pack.as_of)}",
        footer=f"Position as at {long_date(pack.as_of)}")


def numbers_html(numbers: list[int], total: int) -> str:
    width, height = NUMBER_STRIP_MM
    return environment().get_template("pack/numbers.html").render(numbers=numbers, total=total, width_mm=width,
                                                                 height_mm=height)


def render_pdf(pack: PackData, pool: Executor) -> bytes:
    """Lay out every part on ``pool`` (biggest first), then cover and contents with
    the page numbers now known, then join. How the pack is cut depends only on the
    pack, never on the pool, so the bytes are the same however many cores there are."""
    moment, drawn = pack.cutoff, figures(pack)
    groups = batches(body_parts(pack), CHUNK_WEIGHT if parallel(pack) else SERIAL_BUDGET)
    furniture = pool.submit(lay_out, furniture_html(pack), moment)
    biggest_first = sorted(range(len(groups)), key=lambda i: -sum(p.weight for p in groups[i]))
    pending = {i: pool.submit(lay_out, parts_html(pack, groups[i], drawn=drawn), moment,
                              frozenset(a for p in groups[i] for a in p.anchors)) for i in biggest_first}
    laid = [pending[i].result() for i in range(len(groups))]
    cover = _cover(pack, pool, laid)
    _, total = place(cover.pages, laid)
    numbers = [pool.submit(lay_out, numbers_html(run, total), moment) for run in strips(total)]
    return join(cover, laid, furniture.result(), [n.result() for n in numbers])


def _cover(pack: PackData, pool: Executor, laid: list[LaidOut], guess: int = 2) -> LaidOut:
    """Cover and contents with their page numbers. Those depend on how many pages the
    cover and contents take: guess (one contents page), and lay out again if wrong."""
    for _ in range(3):
        marks, _ = place(guess, laid)
        contents = Contents({name: mark.page + 1 for name, mark in marks.items()})
        cover = pool.submit(lay_out, parts_html(pack, [COVER], contents), pack.cutoff).result()
        if cover.pages == guess:
            return cover
        guess = cover.pages
    raise RuntimeError("the contents pages would not settle")
