"""The governance calendar: iCalendar invitations (iTIP email or Exchange/Graph items) and feeds.

See docs/calendar.md. Entry points: ``service.run`` (the job), ``events.plan_calendar``
(config -> events), ``ics`` (writing), ``sync`` (state: what to send), ``feeds``.
"""
