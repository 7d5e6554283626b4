"""Scoring an import against a truth file: how many actions were found, how many read right.

A truth file (``PLAN.truth.json`` beside ``PLAN``) is written by a person reading the plan::

    {"file": "plan.docx", "rating_scale": "rag",
     "actions": {"1.1": {"due": "2023-12-31", "owner": "Head of Service", "rag": "green", "complete": true}}}

``due`` is an ISO date or null (no due date), ``rag`` red/amber/green or null, ``complete``
optional. Run ``python -m planwarden.importing.score DIR`` to score every plan in a folder
(the issue's bar: 95% of actions found, 90% of due dates, owners and ratings right).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planwarden.importing import read_document
from planwarden.importing.errors import ImportFormatError


@dataclass
class Score:
    file: str
    expected: int = 0
    found: int = 0
    due: int = 0
    owner: int = 0
    rating: int = 0
    misses: list[str] = field(default_factory=list)
    refused: str = ""

    def ratio(self, name: str) -> float:
        return getattr(self, name) / self.expected if self.expected else 1.0

    def line(self) -> str:
        if self.refused:
            return f"{self.file}: REFUSED {self.refused}"
        return (f"{self.file}: found {self.found}/{self.expected}, due {self.due}, owner {self.owner}, "
                f"rating {self.rating}")


def _same_owner(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def score(plan: Path, truth: dict[str, Any]) -> Score:
    """Compare what the importer reads from ``plan`` with ``truth``."""
    result = Score(plan.name, expected=len(truth["actions"]))
    try:
        parsed = read_document(plan)
    except ImportFormatError as exc:
        result.refused = str(exc)
        return result
    read = {a.ref: a for a in parsed.actions}
    for ref, want in truth["actions"].items():
        got = read.get(ref)
        if got is None:
            result.misses.append(f"{ref}: not found")
            continue
        result.found += 1
        checks = {"due": (got.due.isoformat() if got.due else None) == want.get("due"),
                  "owner": _same_owner(got.owner_text, want.get("owner") or ""),
                  "rating": got.rag == want.get("rag") and ("complete" not in want or got.complete == want["complete"])}
        for name, ok in checks.items():
            if ok:
                setattr(result, name, getattr(result, name) + 1)
            else:
                result.misses.append(f"{ref}: {name} read {_shown(got, name)!r}, truth {want}")
    return result


def _shown(action: Any, name: str) -> Any:
    if name == "due":
        return action.due
    if name == "owner":
        return action.owner_text
    return (action.rag, action.complete)


def score_folder(folder: Path) -> list[Score]:
    scores = []
    for truth_file in sorted(folder.glob("*.truth.json")):
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        scores.append(score(truth_file.with_name(truth["file"]), truth))
    return scores


def main(argv: list[str]) -> int:
    scores = score_folder(Path(argv[0]) if argv else Path("."))
    for s in scores:
        print(s.line())
        for miss in s.misses:
            print(f"    {miss}")
    total = Score("total", *(sum(getattr(s, n) for s in scores) for n in ("expected", "found", "due", "owner", "rating")))
    print(total.line())
    print(" ".join(f"{n} {total.ratio(n):.0%}" for n in ("found", "due", "owner", "rating")),
          f"refused {sum(bool(s.refused) for s in scores)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
