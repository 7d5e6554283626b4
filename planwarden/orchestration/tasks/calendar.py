"""Prefect tasks for the governance calendar. The logic is in planwarden.calendar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task


@task(retries=3, retry_delay_seconds=[30, 120, 600], name="calendar-sync")
def sync_calendar(feeds_dir: str | None = None) -> dict[str, Any]:
    """Record every event's version, queue the invitations that changed and refresh the
    feeds, in one transaction: a retry after a failure re-does exactly the missing part."""
    from planwarden.calendar.feeds import write_owner_feeds
    from planwarden.calendar.service import run
    from planwarden.core.config import load_config
    from planwarden.core.db import session_scope

    config = load_config()
    folder = Path(feeds_dir) if feeds_dir else config.data_dir / "feeds"
    with session_scope(config.database_url) as session:
        result = run(session, config, send=True, feed=folder / "governance.ics")
        owners = write_owner_feeds(session, config, None, folder / "owners")
    data = result.json()
    data["owners"] = len(owners)
    return data
