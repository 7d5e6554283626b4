"""Prefect task for collecting replies. The logic is in planwarden.replies.collect.

One task reads a whole batch from the mailbox (never one task per message). Safe to
retry or to run twice at once: each message's outcome is keyed by its Message-ID and
committed before the message is moved.
"""

from __future__ import annotations

from typing import Any

from prefect import task


class MailboxTrouble(RuntimeError):
    """The mailbox or database failed part-way: what was committed stays; retry reads the rest."""


@task(retries=2, retry_delay_seconds=[30, 120], name="replies-collect")
def collect_mailbox(limit: int = 500, plan_key: str | None = None) -> dict[str, Any]:
    """Read, decide, record and settle up to ``limit`` messages from the plan's mailbox."""
    from planwarden.core.config import load_config
    from planwarden.core.db import session_factory
    from planwarden.replies.collect import collect, mailbox_for

    config = load_config()
    report = collect(session_factory(config.database_url), config, mailbox_for(config, plan_key), limit=limit)
    summary = report.summary()
    summary["results"] = [r.as_json() for r in report.results]
    if report.error and not report.results:
        raise MailboxTrouble(report.error)
    return summary
