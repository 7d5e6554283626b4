"""Sample data for `planwarden preview-emails`: a reminder digest showing every case.

Built through the same ``build_digests``/``digest_context`` as a real run, so the
preview shows exactly what owners receive.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from planwarden.mail.emails import sample
from planwarden.reminders.digest import (ActionInfo, Failure, LastUpdate, PersonState, Recipient, Router,
                                         build_digests, digest_context)
from planwarden.reminders.schedule import Reminder

TODAY = dt.date(2023, 1, 4)
PLAN = {"key": "jtai", "title": "JTAI Action Plan \u2014 Criminal Exploitation of Children",
        "partnership": "Cheshire East Safeguarding Children's Partnership", "mailbox": "jtai-plan@example.org"}


class _Person:
    def __init__(self, id: str, name: str, deputies: tuple[str, ...] = ()) -> None:
        self.id, self.name, self.email, self.deputies = id, name, f"{id}@example.org", list(deputies)


class _Resolution:
    def __init__(self, people: list[_Person], unresolved: list[str] | None = None) -> None:
        self.people, self.escalation = people, []
        self.owners = people
        self.unresolved = unresolved or []


def sample_actions() -> tuple[list[Reminder], dict[int, ActionInfo]]:
    update = LastUpdate(dt.date(2022, 12, 14), "Draft guidance shared with the MASA Improvement Group; "
                        "comments due back by the end of January. <Consultation> with schools & health continues.",
                        "amber")
    actions = {
        1: ActionInfo(1, "2.1d", "Develop and embed a multi-agency child exploitation screening tool, "
                      "with training for front-door practitioners in all partner agencies.",
                      "Pat Jones", dt.date(2023, 1, 18), "18 January 2023", "amber",
                      (dt.date(2022, 12, 23),), update),
        2: ActionInfo(2, "1.1c", "Audit the quality of return home interviews and report the findings "
                      "to the LSCP Executive.", "Pat Jones", dt.date(2022, 12, 16), "16 December 2022", "red",
                      (), None),
        3: ActionInfo(3, "4.2a", "Agree the partnership's approach to contextual safeguarding.", "Pat Jones",
                      None, "To be determined based on the recommendations", None, (), None),
    }
    reminders = [Reminder(1, "2.1d", "ahead", "ahead-14", dt.date(2023, 1, 18), 0, -14),
                 Reminder(2, "1.1c", "escalation", "overdue", dt.date(2022, 12, 16), 3, 19),
                 Reminder(3, "4.2a", "no-due-date", "no-due-date", None, 202301, None)]
    return reminders, actions


@sample("reminder")
def reminder_sample() -> dict[str, Any]:
    pat = _Person("pat.jones", "Pat Jones", ("sam.lee",))
    sam = _Person("sam.lee", "Sam Lee")
    people = {p.id: p for p in (pat, sam)}
    secretary = Recipient("rachel.hughes", "Rachel Hughes", "rachel.hughes@example.org")
    router = Router(lambda text: _Resolution([pat]), people.get,
                    {"pat.jones": PersonState(away_until=dt.date(2023, 1, 9))}, TODAY, secretary, secretary)
    reminders, actions = sample_actions()
    failures = [Failure(7, ["old.address@example.org"], "[planwarden jtai 3.1b] Reminder: 3.1b is due today",
                        "550 5.1.1 mailbox unavailable")]
    digests = build_digests(reminders, actions, router, failures)
    deputy = next(d for d in digests if d.recipient.key == "sam.lee")
    return digest_context(deputy, plan=PLAN, today=TODAY)


@sample("reminder-secretary")
def secretary_sample() -> dict[str, Any]:
    """The secretary's digest: copies, unresolved owners and undelivered mail."""
    pat = _Person("pat.jones", "Pat Jones")
    secretary = Recipient("rachel.hughes", "Rachel Hughes", "rachel.hughes@example.org")
    router = Router(lambda text: _Resolution([], ["Head of Nowhere"]), {"pat.jones": pat}.get, {}, TODAY,
                    secretary, secretary)
    reminders, actions = sample_actions()
    failures = [Failure(7, ["old.address@example.org"], "[planwarden jtai 3.1b] Reminder: 3.1b is due today",
                        "550 5.1.1 mailbox unavailable")]
    digests = build_digests(reminders, actions, router, failures)
    context = digest_context(digests[0], plan=PLAN, today=TODAY)
    context["template"] = "reminder"
    return context
