"""Entry point: ``flows/collect_replies.py:collect_replies`` (see flows/__init__.py)."""

from planwarden.orchestration.flows.collect_replies import collect_replies

__all__ = ["collect_replies"]
