"""What the command line prints, without Typer or rich: JSON documents, tables, the
error line, and the views of the read-only commands (actions, requests, status).

Both paths of those commands print through here — the Typer commands and the fast path
(cli/fast.py), which must not import Typer or rich (each costs about a third of a
command's 0.3 s budget on the machine docs/benchmarks.md measures on) — so what a
person or a script sees cannot depend on the path taken.

Tables look as rich's ``box.SIMPLE_HEAD`` drew them before: a blank top line, the
header, a rule, the rows, a blank bottom line; each column as wide as its widest cell up
to its maximum, longer cells cut with "…". Colour (bold headers, RAG cells in their
colour) only when standard output is a terminal and NO_COLOR is not set; on a terminal
the widest columns give way until the table fits.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from planwarden.plan import rag

EXIT_USER_ERROR = 2
EXIT_SYSTEM_ERROR = 3
EXIT_INTERRUPTED = 130

RAG_STYLES = rag.TERMINAL  # plan/rag.py: the one RAG vocabulary
_SGR = {"bold": "1", "dim": "2", "italic": "3", "underline": "4", "red": "31", "green": "32", "yellow": "33",
        "blue": "34", "magenta": "35", "cyan": "36"}
_COLOURS = {"red", "green", "yellow", "blue", "magenta", "cyan"}
PIPED_WIDTH = 200  # piped or captured output: wide lines are not cut at 80


def print_json(data: Any) -> None:
    """One write: ``json.dump`` with an indent writes every token on its own (7,500
    writes for 77 actions), which cost more than building the text."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def fail(message: str, code: int) -> int:
    """The one line a failed command prints; returns its exit code."""
    print(f"planwarden: error: {message}", file=sys.stderr)
    return code


# --------------------------------------------------------------------------- tables


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]],
                widths: Sequence[int] | None = None, styles: dict[str, str] | None = None) -> None:
    """A table: header row bold, RAG cells (and any cell named in ``styles``) in their
    colour when it is a terminal, long cells cut with …"""
    cells = [[" ".join(str(c).split()) if c is not None else "" for c in row] for row in rows]
    tty = sys.stdout.isatty()
    sys.stdout.write(render_table(headers, cells, widths, {**RAG_STYLES, **(styles or {})}, colour=_colour(tty),
                                  width=shutil.get_terminal_size().columns if tty else PIPED_WIDTH))


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[int] | None,
                 styles: dict[str, str], colour: str | None, width: int) -> str:
    """The table's text. ``colour``: None (plain), "styles" (bold and the like, NO_COLOR)
    or "full"; ``width``: the most the table may take."""
    sizes = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    if widths:
        sizes = [min(s, w) for s, w in zip(sizes, widths)]
    sizes = _fit(sizes, width)
    inner = sum(sizes) + 3 * (len(sizes) - 1)
    lines = [" " * (inner + 2), _row([cut(h, n) for h, n in zip(headers, sizes)], sizes, "bold", {}, colour),
             " " + "─" * inner + " "]
    lines += [_row([cut(c, n) for c, n in zip(r, sizes)], sizes, None, styles, colour) for r in rows]
    lines.append(" " * (inner + 2))
    return "\n".join(lines) + "\n"


def _fit(sizes: list[int], width: int) -> list[int]:
    """Narrow the widest column, one character at a time, until the table fits."""
    sizes = list(sizes)
    while sum(sizes) + 3 * (len(sizes) - 1) + 2 > width and max(sizes, default=0) > 1:
        widest = sizes.index(max(sizes))
        sizes[widest] -= 1
    return sizes


def cut(text: str, size: int) -> str:
    """``text`` in at most ``size`` characters, the cut shown with an ellipsis."""
    return text if len(text) <= size else text[:size - 1] + "…"


def _row(cells: Sequence[str], sizes: Sequence[int], style: str | None, styles: dict[str, str],
         colour: str | None) -> str:
    padded = [_paint(c, style or styles.get(c, ""), colour) + " " * (n - len(c)) for c, n in zip(cells, sizes)]
    return " " + "   ".join(padded) + " "


def _paint(text: str, style: str, colour: str | None) -> str:
    words = [w for w in style.split() if colour == "full" or w not in _COLOURS]
    codes = ";".join(_SGR[w] for w in words if w in _SGR)
    return f"\x1b[{codes}m{text}\x1b[0m" if colour and codes and text else text


def _colour(tty: bool) -> str | None:
    if not tty or os.environ.get("TERM") == "dumb":
        return None
    return "styles" if os.environ.get("NO_COLOR") else "full"


# --------------------------------------------------------------------------- the read-only commands' views


def print_actions(rows: list[dict[str, Any]], as_json: bool) -> None:
    """`planwarden actions`: the document, or a table with the last update of each."""
    if as_json:
        print_json(rows)
        return
    if not rows:
        print("No actions yet: planwarden import FILE --plan KEY")
        return
    print_table(["ref", "due", "rag", "owner", "action", "last update"],
                [(r["ref"], r["due"] or "-", (r["rag"] or "-").upper(), r["owner_text"], r["text"],
                  (r["updates"][-1]["text"] if r["updates"] else "")) for r in rows],
                [6, 10, 5, 30, 50, 40])
    print(f"\n{len(rows)} actions")


def print_requests(requests: list[Any], as_json: bool) -> None:
    """`planwarden requests`: the requested new dates awaiting the board."""
    if as_json:
        print_json([r.as_json() for r in requests])
    elif not requests:
        print("No requested new dates awaiting the board.")
    else:
        print_table(["id", "plan", "ref", "due now", "asks for", "from", "update"],
                    [(r.id, r.plan, r.ref, r.current_due or "-", r.requested_due, r.author, r.text)
                     for r in requests],
                    [5, 8, 6, 10, 10, 20, 50])


def print_status(plans: list[dict[str, Any]], as_json: bool) -> None:
    """`planwarden status`: per plan, last runs, outbox, quarantine and the next board."""
    if as_json:
        print_json(plans)
        return
    if not plans:
        print("No plans yet: planwarden import FILE --plan KEY")
    for p in plans:
        print(f"Plan {p['plan']}: {p['actions']} actions")
        for job, run in sorted(p["last_runs"].items()):
            print(f"  last {job:<11} {run['started_at'][:16].replace('T', ' ')} UTC  {run['outcome']}")
        if not p["last_runs"]:
            print("  no scheduled job has run yet")
        outbox = ", ".join(f"{n} {s}" for s, n in sorted(p["outbox"].items())) or "empty"
        print(f"  outbox: {outbox}")
        if p["quarantined"] is not None:
            print(f"  quarantined replies awaiting the secretary: {p['quarantined']}")
        board = p["next_board"]
        print(f"  next board: {board['meeting']} on {board['date']}" if board else "  next board: none scheduled")
