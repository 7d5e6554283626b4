"""Entry point: ``flows/governance_calendar.py:governance_calendar`` (see flows/__init__.py)."""

from planwarden.orchestration.flows.governance_calendar import governance_calendar

__all__ = ["governance_calendar"]
