"""The delivery task every flow ends with: queued mail handed to each plan's transport.

It raises ``MailUnavailable`` when the mail service cannot be reached, so the flow run
fails visibly instead of completing with mail stuck; the outbox flow retries every few
minutes.

Safe to retry and to run from several flows at once: delivery claims rows before
sending, so each message goes once.
"""

from __future__ import annotations

from prefect import task

from planwarden.orchestration.results import Delivered


@task(retries=3, retry_delay_seconds=[30, 120, 600], name="deliver-outbox")
def deliver_outbox(batch_size: int = 200) -> Delivered:
    """Hand everything queued to its plan's transport, ``batch_size`` per connection."""
    from planwarden.mail.delivery import raise_if_unavailable
    from planwarden.mail.factory import deliver_queued
    from planwarden.orchestration.flowrun import flow_config

    stats = deliver_queued(flow_config(), batch_size=batch_size)
    raise_if_unavailable(stats)  # retried, then the flow fails visibly; the mail stays queued
    return Delivered(stats.sent, stats.retried, stats.failed, stats.deferred, stats.unavailable)
