"""What an operator or secretary needs at a glance, per plan (`planwarden status`).

Two ways to the same document. The full path (``status``) has the validated config and
a SQLAlchemy session. The fast path of the command line (``status_from_facts``, called
by planwarden/cli/fast.py before SQLAlchemy, pydantic or Typer are imported) has a plain
DB-API connection and the *status facts*: what the document needs from the settings —
the plan keys, and for each plan the answer of ``next_board`` for every day of a window
— derived here by the full path (``status_facts``) and kept by core/quickconfig.py under
the stamp of the settings files and of this module and the calendar's. Both paths read
the database through plan/listing.py's one set of statements, and the next board is
always computed by calendar/governance.py: the fast path only looks it up.

So this module imports nothing heavy at its top: the fast path imports it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planwarden.core import clock
from planwarden.plan.listing import plan_counts, plan_keys

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from planwarden.core.config import Config, GovernanceConfig

FACTS = "status"
# The code the facts are derived by: a change to either makes the kept facts unreadable.
FACTS_CODE = (Path(__file__), Path(__file__).parents[1] / "calendar" / "governance.py")
FACTS_DAYS = 92  # the window the next board is kept for; after it the full path derives it again
OTHER = "\x00other"  # facts for any plan key no meeting names (when no plan is configured)


def status(session: Session, config: Config) -> list[dict[str, Any]]:
    """The reference: every configured plan (or every imported one when none is), with
    its next board from the governance calendar as of today in the plan's timezone."""
    conn = session.connection()
    keys = [p.key for p in config.settings.plans] or plan_keys(conn)
    return [plan_counts(conn, key, next_board_json(config, key)) for key in keys]


def next_board_json(config: Config, plan_key: str, today: dt.date | None = None) -> dict[str, str] | None:
    """The plan's next board meeting as `status --json` gives it (None: none scheduled)."""
    from planwarden.calendar.governance import next_board

    tz = config.plan(plan_key).timezone
    board = next_board(config.governance, tz, today or clock.today(tz), plan_key)
    return {"meeting": board.meeting.title, "date": board.day.isoformat()} if board else None


# --------------------------------------------------------------------------- the fast path's facts


def status_facts(config: Config, first: dt.date | None = None) -> dict[str, Any]:
    """What the fast path needs from the settings, for the FACTS_DAYS days from ``first``
    (default: yesterday in UTC, so every plan's local today is inside)."""
    first = first or clock.today("UTC") - dt.timedelta(days=1)
    last = first + dt.timedelta(days=FACTS_DAYS - 1)
    configured = [p.key for p in config.settings.plans]
    keys = configured or [*sorted({k for m in config.governance.meetings for k in m.pack_plans}), OTHER]
    plans = {}
    for key in keys:
        tz = config.plan(key).timezone
        plans[key] = {"timezone": tz, "boards": _board_runs(config.governance, tz, key, first, last)}
    return {"configured": configured, "first": first.isoformat(), "last": last.isoformat(), "plans": plans}


def _board_runs(governance: GovernanceConfig, tz: str, key: str, first: dt.date,
                last: dt.date) -> list[list[Any]]:
    """``next_board`` for every day in [first, last], as runs ``[through_day, answer]``:
    the answer changes only the day after a board meets, or when one comes within the
    horizon, so a few calls of next_board cover the window."""
    from planwarden.calendar.governance import BOARD_HORIZON_DAYS, next_board

    runs: list[list[Any]] = []
    day = first
    while day <= last:
        board = next_board(governance, tz, day, key)
        if board is None:  # none within the horizon: none until the next one comes within it
            later = next_board(governance, tz, day, key, (last - day).days + BOARD_HORIZON_DAYS)
            through = min(last, later.day - dt.timedelta(days=BOARD_HORIZON_DAYS + 1)) if later else last
            answer = None
        else:
            through, answer = min(last, board.day), {"meeting": board.meeting.title, "date": board.day.isoformat()}
        runs.append([through.isoformat(), answer])
        day = through + dt.timedelta(days=1)
    return runs


class FactsOutOfDate(LookupError):
    """The kept facts do not cover this plan or today: the full path derives them again."""


def status_from_facts(conn: Any, facts: dict[str, Any]) -> list[dict[str, Any]]:
    """The document ``status`` gives, from a DB-API ``Db`` and the kept facts (raises
    FactsOutOfDate when they cannot answer)."""
    keys = facts["configured"] or plan_keys(conn)
    return [plan_counts(conn, key, _kept_board(facts, key)) for key in keys]


def _kept_board(facts: dict[str, Any], key: str) -> dict[str, str] | None:
    plans = facts["plans"]
    entry = plans.get(key) or (plans.get(OTHER) if key else None)
    if entry is None:
        raise FactsOutOfDate(key)
    today = clock.today(entry["timezone"]).isoformat()
    if not facts["first"] <= today <= facts["last"]:
        raise FactsOutOfDate(today)
    return next(answer for through, answer in entry["boards"] if through >= today)
