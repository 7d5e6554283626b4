"""Entry point: ``flows/outbox.py:outbox`` (see flows/__init__.py)."""

from planwarden.orchestration.flows.outbox import outbox

__all__ = ["outbox"]
