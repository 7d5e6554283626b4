"""Prefect task for collecting replies. The logic is in planwarden.replies.collect.

One task reads a whole batch from the mailbox (never one task per message). Safe to
retry or to run twice at once: each message's outcome is keyed by its Message-ID and
committed before the message is moved.
"""

from __future__ import annotations

from prefect import task

from planwarden.orchestration.results import Collected


class MailboxTrouble(RuntimeError):
    """The mailbox or database failed part-way: what was committed stays; retry reads the rest."""


@task(retries=2, retry_delay_seconds=[30, 120], name="replies-collect")
def collect_mailbox(limit: int = 500, plan_key: str | None = None) -> Collected:
    """Read, decide, record and settle up to ``limit`` messages from the plan's mailbox."""
    from planwarden.core.db import session_factory
    from planwarden.orchestration.flowrun import flow_config
    from planwarden.replies.collect import collect, mailbox_for

    config = flow_config()
    report = collect(session_factory(config.database_url), config, mailbox_for(config, plan_key), limit=limit)
    if report.error and not report.results:
        raise MailboxTrouble(report.error)
    counts = report.counts()
    return Collected(counts["applied"], counts["ignored"], counts["quarantined"], len(report.results),
                     len(report.unsettled), report.error)
