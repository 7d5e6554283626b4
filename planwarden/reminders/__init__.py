"""Reminders: the daily due-date check, the digest emails and the `remind` run.

``schedule.reminders_due`` is the pure heart (actions, what was sent, today, working
calendar -> reminders due); ``digest`` turns reminders into one digest per recipient;
``run`` reads the store, records and queues in one transaction, then delivers.
"""

from planwarden.reminders.schedule import (ActionState, Kind, Reminder, Rules, Sent, latest_stage, reminders_due,
                                           stage_dates)
from planwarden.reminders.workdays import WorkingCalendar

__all__ = ["ActionState", "Kind", "Reminder", "Rules", "Sent", "WorkingCalendar", "latest_stage", "reminders_due",
           "stage_dates"]
