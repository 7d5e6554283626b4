"""The delivery task every flow ends with: queued mail handed to the configured transport.

It raises ``MailUnavailable`` when the mail service cannot be reached, so the flow run
fails visibly instead of completing with mail stuck; the outbox flow retries every few
minutes.

Safe to retry and to run from several flows at once: delivery claims rows before
sending, so each message goes once.
"""

from __future__ import annotations

from typing import Any

from prefect import task


@task(retries=3, retry_delay_seconds=[30, 120, 600], name="deliver-outbox")
def deliver_outbox(batch_size: int = 200) -> dict[str, Any]:
    """Hand everything queued to the configured transport, ``batch_size`` per connection."""
    from planwarden.core.config import load_config
    from planwarden.mail.delivery import raise_if_unavailable
    from planwarden.mail.factory import deliver_queued

    stats = deliver_queued(load_config(), batch_size=batch_size)
    raise_if_unavailable(stats)  # retried, then the flow fails visibly; the mail stays queued
    return {"sent": stats.sent, "retried": stats.retried, "failed": stats.failed, "deferred": stats.deferred,
            "unavailable": stats.unavailable}
