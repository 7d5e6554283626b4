"""One reminder run: read the store, decide, render, record + queue, deliver.

The same code path serves `planwarden remind` and the Prefect flow:

1. ``compute`` (read only): the plan's actions and reminder log -> ``reminders_due`` ->
   one digest per recipient -> rendered emails;
2. ``record`` (one transaction): a ``reminder_log`` row per reminder and an outbox row
   per digest. Both have unique keys, so when two runs overlap the loser's insert
   fails, its whole transaction rolls back (no outbox rows survive), and it computes
   again — finding nothing left to send;
3. ``deliver``: the separate delivery step hands queued mail to the transport.

``dry_run`` stops after step 1.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from planwarden.core import clock
from planwarden.core.config import Config, PlanConfig
from planwarden.plan.directory import Directory
from planwarden.mail.emails import render
from planwarden.mail import keys
from planwarden.mail.compose import Draft, new_message_id
from planwarden.mail.delivery import unreported_failures
from planwarden.mail.outbox import OutboxState
from planwarden.plan.models import Action, ActionOwner, OutboxMessage, Person, Plan, ProgressUpdate
from planwarden.reminders.digest import (ActionInfo, Digest, Failure, LastUpdate, PersonState, Recipient, Router,
                                         build_digests, digest_context, valid_email)
from planwarden.reminders.models import ReminderLog
from planwarden.reminders.schedule import ActionState, Reminder, Rules, Sent, reminders_due
from planwarden.reminders.workdays import WorkingCalendar

log = logging.getLogger(__name__)
CHUNK = 900  # ids per IN (...) list: below SQLite's variable limit


@dataclass
class Outgoing:
    """One rendered digest, ready to queue."""

    digest: Digest
    draft: Draft
    message_id: str
    dedupe_key: str
    items: list[dict[str, Any]]
    outbox_id: int | None = None
    eml: str | None = None

    def as_json(self, with_eml: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"to": list(self.draft.to), "cc": list(self.draft.cc), "subject": self.draft.subject,
                               "message_id": self.message_id,
                               "items": [{"ref": i["ref"], "kind": i["kind"]} for i in self.items]}
        if with_eml:
            out["eml"] = self.eml
        return out


@dataclass
class PlanRun:
    """What one run did for one plan."""

    plan: str
    today: dt.date
    working_day: bool
    reminders: list[Reminder] = field(default_factory=list)
    messages: list[Outgoing] = field(default_factory=list)
    failures: list[OutboxMessage] = field(default_factory=list)
    dry_run: bool = False
    conflicts: int = 0  # overlapping runs detected (and rolled back)
    mail_unavailable: str | None = None  # delivery could not reach the mail service: all stays queued


# --------------------------------------------------------------------------- reading


def load_states(session: Session, plan_id: int) -> list[ActionState]:
    scale = session.scalar(select(Plan.rating_scale).where(Plan.id == plan_id)) or "rag"
    rows = session.execute(select(Action.id, Action.ref, Action.due, Action.rag, Action.complete)
                           .where(Action.plan_id == plan_id, Action.deleted_at.is_(None))
                           .order_by(Action.position, Action.id))
    return [ActionState(i, ref, due, rag, bool(complete), scale) for i, ref, due, rag, complete in rows]


def load_sent(session: Session, plan_key: str) -> list[Sent]:
    rows = session.execute(select(ReminderLog.action_id, ReminderLog.stage, ReminderLog.due, ReminderLog.occurrence,
                                  ReminderLog.sent_on).where(ReminderLog.plan_key == plan_key))
    return [Sent(*row) for row in rows]


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def load_infos(session: Session, ids: Sequence[int], directory: Directory) -> dict[int, ActionInfo]:
    """What the emails show, for the actions due a reminder only (not the whole plan)."""
    latest: dict[int, tuple[Any, ...]] = {}
    former: dict[int, list[str]] = defaultdict(list)
    actions: dict[int, tuple[Any, ...]] = {}
    for chunk in _chunks(list(ids)):
        for row in session.execute(select(Action.id, Action.ref, Action.text, Action.owner_text, Action.due,
                                          Action.due_text, Action.rag, Action.milestones)
                                   .where(Action.id.in_(chunk))):
            actions[row[0]] = tuple(row)
        for u in session.execute(select(ProgressUpdate.action_id, ProgressUpdate.date, ProgressUpdate.created_at,
                                        ProgressUpdate.id, ProgressUpdate.text, ProgressUpdate.rag)
                                 .where(ProgressUpdate.action_id.in_(chunk), ProgressUpdate.withdrawn_at.is_(None))):
            order = (u.date or dt.date.min, u.created_at, u.id)  # as store.latest_update
            if u.action_id not in latest or order > latest[u.action_id][0]:
                latest[u.action_id] = (order, LastUpdate(u.date, u.text, u.rag))
        for action_id, key, name in session.execute(
                select(ActionOwner.action_id, Person.key, Person.name).join(Person)
                .where(ActionOwner.action_id.in_(chunk)).order_by(ActionOwner.position)):
            if directory.person(key) is None:
                former[action_id].append(name or key)
    infos: dict[int, ActionInfo] = {}
    for action_id, (_, ref, text, owner_text, due, due_text, rag, milestones) in actions.items():
        infos[action_id] = ActionInfo(action_id, ref, text or "", owner_text or "", due, due_text or "", rag,
                                      _dates(milestones), latest[action_id][1] if action_id in latest else None,
                                      tuple(former.get(action_id, ())))
    return infos


def _dates(values: Any) -> tuple[dt.date, ...]:
    out = []
    for v in values or []:
        try:
            out.append(v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)))
        except ValueError:
            continue
    return tuple(sorted(out))


def load_person_states(session: Session) -> dict[str, PersonState]:
    rows = session.execute(select(Person.key, Person.away_until, Person.failing_since, Person.failing_reason)
                           .where((Person.away_until.is_not(None)) | (Person.failing_since.is_not(None))))
    return {key: PersonState(away, failing, reason) for key, away, failing, reason in rows}


def _person_recipient(directory: Directory, person_id: str | None) -> Recipient | None:
    person = directory.person(person_id)
    return Recipient(person.id, person.name, person.email) if person and valid_email(person.email) else None


def secretary_for(config: Config, plan_cfg: PlanConfig, directory: Directory) -> Recipient:
    """The secretary; else the business manager; else the plan's own mailbox: never nobody."""
    found = (_person_recipient(directory, plan_cfg.secretary)
             or _person_recipient(directory, plan_cfg.business_manager))
    if found:
        return found
    address = plan_cfg.mailbox or _mail(config, plan_cfg).from_address
    return Recipient(f"mailbox:{address}", "Plan secretary", address)


def _failure(row: OutboxMessage) -> Failure:
    reason = row.last_error or ""
    if row.refused:
        reason = "; ".join([*([reason] if reason and row.state == OutboxState.FAILED else []),
                            *(f"refused {addr}: {why}" for addr, why in sorted(row.refused.items()))])
    return Failure(row.id, list(row.to or []), row.subject, reason or row.state)


# --------------------------------------------------------------------------- computing


def plan_json(config: Config, plan_cfg: PlanConfig, plan: Plan | None) -> dict[str, Any]:
    return {"key": plan_cfg.key, "title": (plan.title if plan and plan.title else plan_cfg.title) or plan_cfg.key,
            "partnership": plan_cfg.partnership or (plan.partnership if plan else ""),
            "mailbox": plan_cfg.mailbox or _mail(config, plan_cfg).from_address}


def compute(session: Session, config: Config, plan_cfg: PlanConfig, today: dt.date, *,
            directory: Directory | None = None) -> PlanRun:
    """Everything due today, rendered. Reads only."""
    settings = plan_cfg.reminders
    calendar = WorkingCalendar(settings.bank_holidays)
    run = PlanRun(plan_cfg.key, today, calendar.is_working_day(today))
    plan = session.scalar(select(Plan).where(Plan.key == plan_cfg.key))
    if plan is None or not run.working_day:
        return run
    run.reminders = reminders_due(load_states(session, plan.id), load_sent(session, plan.key), today, calendar,
                                  Rules.from_settings(settings))
    run.failures = unreported_failures(session, plan.key)
    if not run.reminders and not run.failures:
        return run
    directory = directory or Directory(config.directory)
    infos = load_infos(session, [r.action_id for r in run.reminders], directory)
    secretary = secretary_for(config, plan_cfg, directory)
    router = Router(directory.resolve, directory.person, load_person_states(session), today, secretary,
                    _person_recipient(directory, plan_cfg.business_manager) or secretary)
    digests = build_digests(run.reminders, infos, router, [_failure(f) for f in run.failures])
    context_plan = plan_json(config, plan_cfg, plan)
    run.messages = [_outgoing(config, plan_cfg, d, context_plan, today) for d in digests]
    return run


def _outgoing(config: Config, plan_cfg: PlanConfig, digest: Digest, plan: dict[str, Any], today: dt.date) -> Outgoing:
    email = render("reminder", digest_context(digest, plan=plan, today=today))
    mail = _mail(config, plan_cfg)
    draft = Draft(sender=mail.from_address, sender_name=mail.from_name, to=[digest.recipient.email],
                  cc=[c.email for c in digest.cc], subject=email.subject, text=email.text, html=email.html,
                  reply_to=plan_cfg.mailbox or mail.from_address)
    items = [{"ref": i.action.ref, "action_id": i.action.action_id, "kind": i.reminder.kind} for i in digest.items]
    content = [*sorted(f"{i['action_id']}:{i['kind']}" for i in items), *(f"f{f.outbox_id}" for f in digest.failures)]
    dedupe = keys.reminder(plan_cfg.key, digest.recipient.key, today, content)
    return Outgoing(digest, draft, new_message_id(mail.from_address), dedupe, items)


def _mail(config: Config, plan_cfg: PlanConfig) -> Any:
    """The plan's own mail settings when it has them, else the shared [mail] section."""
    mail_for = getattr(config, "mail_for", None)
    return mail_for(plan_cfg.key) if mail_for else config.mail


# --------------------------------------------------------------------------- recording


def record(session: Session, run: PlanRun) -> None:
    """Log every reminder and queue every digest, in the caller's transaction.

    Raises IntegrityError when another run has recorded any of them first.
    """
    from planwarden.mail.outbox import enqueue

    carriers: dict[int, list[Outgoing]] = defaultdict(list)
    for message in run.messages:
        for item in message.items:
            carriers[item["action_id"]].append(message)
    now = clock.now()
    rows = [{"plan_key": run.plan, "action_id": r.action_id, "ref": r.ref, "stage": r.stage, "kind": r.kind,
             "due": r.due, "due_key": r.key[2], "occurrence": r.occurrence, "sent_on": run.today,
             "message_ids": [m.message_id for m in carriers[r.action_id]],
             "recipients": [{"to": m.draft.to, "cc": m.draft.cc} for m in carriers[r.action_id]],
             "created_at": now}
            for r in sorted(run.reminders, key=lambda r: r.key)]  # one order: overlapping runs cannot deadlock
    if rows:
        session.execute(insert(ReminderLog), rows)
    for message in sorted(run.messages, key=lambda m: m.dedupe_key):
        row = enqueue(session, message.draft, kind="reminder", dedupe_key=message.dedupe_key, plan_key=run.plan,
                      items=message.items, message_id=message.message_id)
        message.outbox_id = row.id
    if run.failures:
        from planwarden.mail.delivery import mark_reported
        mark_reported(run.failures)


def remind_plan(sessions: sessionmaker[Session], config: Config, plan_cfg: PlanConfig, today: dt.date, *,
                dry_run: bool = False, attempts: int = 3) -> PlanRun:
    """Compute and (unless dry_run) record, in one transaction; an overlap rolls back and recomputes."""
    directory = Directory(config.directory)
    conflicts = 0
    for attempt in range(attempts):
        with sessions() as session:
            try:
                run = compute(session, config, plan_cfg, today, directory=directory)
                run.dry_run, run.conflicts = dry_run, conflicts
                if dry_run or (not run.reminders and not run.failures):
                    session.rollback()
                    return run
                record(session, run)
                session.commit()
                return run
            except IntegrityError:
                session.rollback()
                conflicts += 1
                log.warning("reminders for %s on %s: another run recorded them first; rolled back, recomputing",
                            plan_cfg.key, today)
    raise RuntimeError(f"reminders for {plan_cfg.key}: still conflicting after {attempts} attempts")


# --------------------------------------------------------------------------- delivering


def attach_locations(sessions: sessionmaker[Session], runs: Iterable[PlanRun]) -> None:
    """The .eml path (outbox transport) of every message these runs queued."""
    by_id = {m.outbox_id: m for run in runs for m in run.messages if m.outbox_id is not None}
    if not by_id:
        return
    with sessions() as session:
        ids = list(by_id)
        for chunk in _chunks(ids):
            for outbox_id, location in session.execute(select(OutboxMessage.id, OutboxMessage.location)
                                                       .where(OutboxMessage.id.in_(chunk))):
                by_id[outbox_id].eml = location


# --------------------------------------------------------------------------- the whole run


def plans_to_run(config: Config, plan_key: str | None) -> list[PlanConfig]:
    if plan_key:
        return [config.plan(plan_key)]
    return list(config.settings.plans) or [config.plan(None)]


def run_reminders(config: Config, *, plan_key: str | None = None, today: dt.date | None = None,
                  dry_run: bool = False, deliver_mail: bool = True,
                  sessions: sessionmaker[Session] | None = None,
                  on_plan: Callable[[PlanRun], None] | None = None) -> list[PlanRun]:
    """The daily run for one plan or all of them. ``today`` defaults to the local date
    of each plan's time zone (08:00 in London is 07:00 or 08:00 UTC depending on the season)."""
    from planwarden.core.db import session_factory

    sessions = sessions or session_factory(config.database_url)
    runs = []
    for plan_cfg in plans_to_run(config, plan_key):
        day = today or clock.today(plan_cfg.timezone)
        run = remind_plan(sessions, config, plan_cfg, day, dry_run=dry_run)
        if on_plan:
            on_plan(run)
        runs.append(run)
    if deliver_mail and not dry_run:  # also what an earlier outage left queued
        from planwarden.mail.factory import deliver_queued

        stats = deliver_queued(config, sessions=sessions)
        attach_locations(sessions, runs)
        for run in runs:
            run.mail_unavailable = stats.unavailable
    return runs


def runs_json(config: Config, runs: Sequence[PlanRun], today: dt.date | None = None) -> dict[str, Any]:
    """The `remind --json` shape (PRODUCT.md): {"today", "messages": [...]}."""
    day = today or (runs[0].today if runs else clock.today())
    with_eml = config.mail.transport == "outbox" and not any(r.dry_run for r in runs)
    return {"today": day.isoformat(),
            "messages": [m.as_json(with_eml) for run in runs for m in run.messages]}
