"""Entry point: ``flows/daily_reminders.py:daily_reminders`` (see flows/__init__.py)."""

from planwarden.orchestration.flows.daily_reminders import daily_reminders

__all__ = ["daily_reminders"]
