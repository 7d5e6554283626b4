"""The schema revision this code expects, read without SQLAlchemy or alembic.

Every command compares it with the revision the database stores (one query) and
migrates only when they differ (core/db.py). The fast path of read-only commands
(planwarden/cli/fast.py) makes the same comparison before it reads anything, and leaves
the database to the full path, which migrates, when they differ: so this lives apart
from core/db.py, which imports SQLAlchemy.
"""

from __future__ import annotations

import re
from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.M)
_code_heads: frozenset[str] | None = None

SQLITE_BUSY_SECONDS = 30  # how long a command waits for another process's write before saying "locked"

# The query that says which revisions a database is at (alembic's own table).
STORED_HEADS_SQL = "SELECT version_num FROM alembic_version"


def code_heads() -> frozenset[str]:
    """The head revisions of the migrations shipped with this code, read from the files
    (a regex, not alembic: this runs on every command's start; ~1 ms for ten files)."""
    global _code_heads
    if _code_heads is None:
        revisions: set[str] = set()
        parents: set[str] = set()
        for path in (MIGRATIONS / "versions").glob("*.py"):
            source = path.read_text(encoding="utf-8")
            if rev := _REVISION.search(source):
                revisions.add(rev.group(1))
            if down := _DOWN_REVISION.search(source):
                parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
        _code_heads = frozenset(revisions - parents)
    return _code_heads
