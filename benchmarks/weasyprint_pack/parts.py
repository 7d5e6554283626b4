"""The board pack as a sequence of parts, each laid out on its own.

WeasyPrint keeps every page of a document in memory while it lays it out, and a
2,000-action plan makes a pack of several hundred pages. Laid out part by part
(several at once on a big plan), memory is bounded by the biggest part and every
core shares the work. Each part starts on a new page, so splitting changes nothing a
reader sees, except where a very large section is cut: its next part starts with
"(continued)". Pure: no WeasyPrint, no database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from planwarden.pack.compute import AreaBlock, PackData, SectionBlock
from planwarden.pack.state import ActionState

PARALLEL_FROM = 300  # actions: below this, starting worker processes costs more than it saves
CHUNK_WEIGHT = 600  # about 200 actions with two updates each: some 60 pages, 5 s of layout
T = TypeVar("T")
FRONT_ANCHORS = ("exceptions", "due-next", "not-updated", "governance", "data-quality")


@dataclass(frozen=True)
class Piece:
    """Part of one section: all of it, or (in a huge section) a run of its areas."""

    section: SectionBlock
    section_number: int  # 1-based, for the contents' "section-N" anchor
    section_start: bool
    areas: tuple[tuple[AreaBlock, bool], ...]  # (block, continued from the previous part)

    @property
    def weight(self) -> int:
        return max(1, sum(_actions_weight(block.actions) for block, _ in self.areas))


@dataclass(frozen=True)
class Part:
    key: str
    template: str
    anchors: tuple[str, ...]  # the contents entries this part holds
    weight: int  # rough layout cost, to start the biggest parts first
    pieces: tuple[Piece, ...] = field(default=())
    first: bool = False


COVER = Part("cover", "pack/parts/cover.html", (), 1)


def parallel(pack: PackData) -> bool:
    """Big enough to be laid out in worker processes, in parts of CHUNK_WEIGHT."""
    return pack.counts.total >= PARALLEL_FROM


def action_weight(action: ActionState) -> int:
    return 1 + len(action.updates)


def body_parts(pack: PackData) -> list[Part]:
    """Every part after the cover and contents, in reading order."""
    ch, ex = pack.changes, pack.exceptions
    changed = len(ch.turned_green) + len(ch.turned_red) + len(ch.newly_overdue) + len(ch.new_actions)
    listed = (len(ex.overdue) + len(ex.red) + len(ex.requested_dates) + len(ex.quarantined) + len(pack.due_next)
              + (len(ex.stale_by_owner or ()) or len(ex.stale)))
    return [Part("summary", "pack/parts/summary.html", ("summary",), 10 + len(pack.sections)),
            Part("changes", "pack/parts/changes.html", ("changes",), 10 + changed + 2 * len(ch.new_updates)),
            Part("exceptions", "pack/parts/exceptions.html", FRONT_ANCHORS, 10 + listed),
            *plan_parts(pack),
            Part("key", "pack/parts/key.html", ("key",), 1)]


def runs(items: Iterable[T], weight: Callable[[T], int], budget: int) -> list[list[T]]:
    """Consecutive items in runs weighing at most ``budget`` (an item heavier than that
    makes a run of its own); no items, one empty run (an empty plan, section or area
    is still shown, with a line saying so)."""
    out: list[list[T]] = []
    total = 0
    for item in items:
        if out and total + weight(item) <= budget:
            out[-1].append(item)
            total += weight(item)
        else:
            out.append([item])
            total = weight(item)
    return out or [[]]


def batches(parts: list[Part], budget: int) -> list[list[Part]]:
    """Consecutive parts laid out together up to ``budget``: each WeasyPrint document
    has a fixed cost (stylesheets, fonts), worth paying only where it buys parallelism
    or bounds memory."""
    return runs(parts, lambda p: p.weight, budget)


def plan_parts(pack: PackData) -> list[Part]:
    """The full plan in parts of about CHUNK_WEIGHT; whole sections where they fit."""
    pieces = [piece for number, section in enumerate(pack.sections, start=1)
              for piece in section_pieces(number, section)]
    return [Part(f"plan-{i}", "pack/parts/plan.html", _plan_anchors(i, run), sum(p.weight for p in run),
                 tuple(run), first=i == 1)
            for i, run in enumerate(runs(pieces, lambda p: p.weight, CHUNK_WEIGHT), start=1)]


def _plan_anchors(index: int, pieces: list[Piece]) -> tuple[str, ...]:
    starts = tuple(f"section-{p.section_number}" for p in pieces if p.section_start)
    return (("plan",) if index == 1 else ()) + starts


def section_pieces(number: int, section: SectionBlock) -> list[Piece]:
    """A section whole, or cut between areas (and inside an area only if it alone is too big)."""
    slices = [s for block in section.areas for s in _area_slices(block)]
    return [Piece(section, number, i == 0, tuple(run))
            for i, run in enumerate(runs(slices, lambda s: _actions_weight(s[0].actions), CHUNK_WEIGHT))]


def _area_slices(block: AreaBlock) -> list[tuple[AreaBlock, bool]]:
    """An area whole, or (too big for one part) in slices, each after the first "continued"."""
    return [(AreaBlock(block.info, run), i > 0)
            for i, run in enumerate(runs(block.actions, action_weight, CHUNK_WEIGHT))]


def _actions_weight(actions: list[ActionState]) -> int:
    return sum(action_weight(a) for a in actions)
