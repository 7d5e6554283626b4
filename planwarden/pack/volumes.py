"""A big pack laid out in pieces, so Typst's memory stays bounded.

Typst's peak memory grows with everything laid out in one compile (about 0.45 MB per
action of the plan; docs/benchmarks.md), and typst-py never gives it back. A pack whose
text is larger than ``BUDGET`` is therefore cut into bodies of at most about that much,
each laid out by a fresh Typst process, one after another; then the front (the cover,
and a contents page written from where the headings landed) and the running heads (an
empty document of as many pages, with only the page headers and footers). pdfjoin.py
joins them into one tagged PDF. A pack under the budget is one document, as before.

Cuts fall only before a heading (never between a heading and what follows it: headings
and paragraphs alone stay with what follows), or between two chunks of a long table (each chunk
carries the table's column heads, as the template lays long tables out anyway).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from planwarden.pack.document import Block, Chapter, Document

BUDGET = 400_000  # characters of the document's text per piece: ~250-350 MB of Typst's memory
TABLE_CUT = 200  # a long table may be cut after this many rows (a multiple of the template's CHUNK, 40)

Part = list[dict[str, Any]]  # a body's chapters as the template reads them (title, blocks, continued)


def weight(blocks: list[Block]) -> int:
    """What a run of blocks costs to lay out, roughly: the length of its text."""
    return len(json.dumps(blocks, ensure_ascii=False, default=str))


def needs_parts(doc: Document, budget: int = BUDGET) -> bool:
    """True when the document is too big to lay out in one compile."""
    return sum(weight(ch.blocks) for ch in doc.chapters) > budget


def runs(blocks: list[Block]) -> Iterator[list[Block]]:
    """The chapter's blocks in runs that may not be cut: each starts at a heading or at a
    chunk of a long table. Headings and short paragraphs alone (a section's title and
    its one-line summary) stay with what follows, never alone at the end of a piece."""
    run: list[Block] = []
    for block in blocks:
        if block["kind"] == "heading" and run and not _light(run):
            yield run
            run = []
        if block["kind"] == "table" and len(block["rows"]) > TABLE_CUT:
            first, *rest = table_chunks(block)
            run.append(first)
            for chunk in rest:
                yield run
                run = [chunk]
            continue
        run.append(block)
    if run:
        yield run


def _light(run: list[Block]) -> bool:
    return all(b["kind"] in ("heading", "para") for b in run)


def table_chunks(block: Block) -> list[Block]:
    """A long table as consecutive tables of TABLE_CUT rows; only the last has the foot."""
    rows = block["rows"]
    chunks = [dict(block, rows=rows[i:i + TABLE_CUT], foot=None) for i in range(0, len(rows), TABLE_CUT)]
    chunks[-1]["foot"] = block["foot"]
    return chunks


def bodies(chapters: list[Chapter], budget: int = BUDGET) -> list[Part]:
    """The chapters cut into bodies of at most ``budget`` (a run bigger than the budget
    is a body of its own). A body that goes on with a chapter says so ("continued"), with
    the section it goes on with ("context"): the template repeats their headings, marked
    as continued and kept out of the contents, so each piece starts at a level-1 heading
    (PDF/UA) and a reader turning to it sees where they are."""
    parts: list[Part] = [[]]
    used = 0
    for chapter in chapters:
        started, section = False, ""
        for run in runs(chapter.blocks):
            cost = weight(run)
            if used and used + cost > budget:
                parts.append([])
                used = 0
            part = parts[-1]
            if not part or part[-1]["key"] != chapter.key:
                context = [section] if started and section and not _opens_section(run) else []
                part.append({"key": chapter.key, "title": chapter.title, "blocks": [], "continued": started,
                             "context": context})
            part[-1]["blocks"].extend(run)
            section = next((b["text"] for b in reversed(run) if b["kind"] == "heading" and b["level"] == 2), section)
            started = True
            used += cost
    return [part for part in parts if part]


def _opens_section(run: list[Block]) -> bool:
    return run[0]["kind"] == "heading" and run[0]["level"] <= 2


def headings(part: Part) -> list[tuple[int, str]]:
    """The headings a body lays out and bookmarks, in order, with their levels (those
    repeated as "continued" are not bookmarked)."""
    found: list[tuple[int, str]] = []
    for chapter in part:
        found += [] if chapter["continued"] else [(1, chapter["title"])]
        found += [(b["level"], b["text"]) for b in chapter["blocks"] if b["kind"] == "heading"]
    return found


def contents(headings: list[tuple[int, str, int]], first_body_page: int) -> list[dict[str, Any]]:
    """The contents entries (chapters and their sections) for the front: each with its
    page number as printed, from the page index of its heading among the bodies' pages."""
    return [{"level": level, "title": title, "page": first_body_page + page + 1}
            for level, title, page in headings if level <= 2]


def front_pages(lay_out: Callable[[int], tuple[bytes, int]], guess: int) -> tuple[bytes, int]:
    """Lay out the front until the page count it assumed for itself is the one it has
    (its contents page numbers count its own pages); at most three tries."""
    pdf, pages = lay_out(guess)
    for _ in range(2):
        if pages == guess:
            break
        guess = pages
        pdf, pages = lay_out(guess)
    return pdf, pages
