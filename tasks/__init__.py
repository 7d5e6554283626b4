"""Where the Prefect tasks are: ``planwarden.orchestration.tasks`` (calendar, mail, pack, reminders, replies).

Tasks are typed batch steps (one task per plan or per batch, never one per action) with
declared retries; flows in ``planwarden.orchestration.flows`` only orchestrate them. This
top-level folder is kept for the design card's layout and re-exports them for deployments
made from a checkout; it is not installed with the package.
"""

from planwarden.orchestration.tasks import calendar, mail, pack, reminders, replies

__all__ = ["calendar", "mail", "pack", "reminders", "replies"]
