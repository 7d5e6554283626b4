"""Where the tests find the two seed documents.

The seeds are copied into tests/data/seeds/ so the suite runs from a clean clone.
``PLANWARDEN_SEEDS`` points the tests at another folder (e.g. newer extractions), and
the shared folder next to the repository is the last resort.
"""

from __future__ import annotations

import os
from pathlib import Path

SEED_000 = "000_3a816ad8139d38e0.txt"  # JTAI written statement of action, 77 actions
SEED_003 = "003_91dbf18f9f68ab3a.txt"  # 2013 pan-Cheshire CSE plan, messy layout

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
BUNDLED = TESTS / "data" / "seeds"
SHARED = REPO.parent / "shared" / "seeds"


def seed_dirs() -> list[Path]:
    """Folders searched, in order."""
    env = os.environ.get("PLANWARDEN_SEEDS")
    return [*([Path(env)] if env else []), BUNDLED, SHARED]


def seed_path(name: str) -> Path:
    """The first copy of seed ``name`` found."""
    for folder in seed_dirs():
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"seed {name} not found in {', '.join(map(str, seed_dirs()))}")


def seed_text(name: str) -> str:
    return seed_path(name).read_text(encoding="utf-8")
