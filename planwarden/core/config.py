"""Settings: one TOML file, plus a directory file and a governance calendar file.

Everything has a default so every command works with no file at all. Every model
forbids unknown keys, so a misspelt key stops start-up with the file, the key and
the reason instead of being silently ignored. Secrets are never read from these
files: a setting names the environment variable that holds the secret.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from planwarden.core.text import normalise

from planwarden.core.configfile import (CONFIG_ENV, DATABASE_ENV, DEFAULT_CONFIG, HOME_ENV, ConfigError,  # noqa: F401
                                        config_path, data_dir, database_url_from, read_toml, resolve)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


# --------------------------------------------------------------------------- directory


class PersonConfig(_Strict):
    id: str
    name: str
    email: str
    deputies: list[str] = Field(default_factory=list, description="ids of people who may reply for them")
    aliases: list[str] = Field(default_factory=list, description="other ways an owner text names them")
    escalation: str | None = Field(None, description="id of the person copied on escalations")

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        if "@" not in v or v.strip() != v or " " in v:
            raise ValueError(f"not an email address: {v!r}")
        return v


class RoleConfig(_Strict):
    name: str
    holders: list[str] = Field(description="ids of the people who hold the role")
    aliases: list[str] = Field(default_factory=list)
    escalation: str | None = None


class GroupConfig(_Strict):
    name: str
    chair: str | None = Field(None, description="id of the chair: the escalation contact")
    contacts: list[str] = Field(default_factory=list, description="ids who receive the group's reminders (default: the chair)")
    members: list[str] = Field(default_factory=list, description="ids of members (meeting invites)")
    aliases: list[str] = Field(default_factory=list)


class DirectoryConfig(_Strict):
    people: list[PersonConfig] = Field(default_factory=list)
    roles: list[RoleConfig] = Field(default_factory=list)
    groups: list[GroupConfig] = Field(default_factory=list)

    def group(self, name: str) -> GroupConfig | None:
        """The group called ``name`` or one of its aliases, matched as the directory matches names."""
        key = normalise(name)
        return next((g for g in self.groups if key in {normalise(n) for n in [g.name, *g.aliases]}), None)

    @model_validator(mode="after")
    def _references(self) -> "DirectoryConfig":
        ids = [p.id for p in self.people]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"person id listed twice: {', '.join(sorted(dupes))}")
        known = set(ids)
        for p in self.people:
            _check_ids(f"people[{p.id}].deputies", p.deputies, known)
            _check_ids(f"people[{p.id}].escalation", [p.escalation] if p.escalation else [], known)
        for r in self.roles:
            _check_ids(f"roles[{r.name}].holders", r.holders, known)
        for g in self.groups:
            _check_ids(f"groups[{g.name}]", [*g.contacts, *g.members, *([g.chair] if g.chair else [])], known)
        return self


def _check_ids(where: str, ids: list[str], known: set[str]) -> None:
    missing = [i for i in ids if i not in known]
    if missing:
        raise ValueError(f"{where}: unknown person id {', '.join(missing)}")


# --------------------------------------------------------------------------- governance


class MeetingConfig(_Strict):
    """A meeting series or a one-off event in the governance calendar."""

    id: str = Field(description="stable id: calendar UIDs derive from it")
    title: str
    start: dt.datetime | dt.date = Field(description="first occurrence; a date alone means all-day")
    end: dt.datetime | dt.date | None = Field(None, description="end of the first occurrence (all-day: last day, inclusive)")
    duration_minutes: int | None = None
    rrule: str | None = Field(None, description="RFC 5545 RRULE, e.g. FREQ=MONTHLY;BYDAY=2WE;COUNT=12")
    dates: list[dt.date] = Field(default_factory=list, description="explicit extra dates")
    cancelled: list[dt.date] = Field(default_factory=list, description="occurrences cancelled (EXDATE)")
    moved: dict[str, dt.datetime] = Field(default_factory=dict, description="original date -> new start")
    location: str = ""
    online_url: str = ""
    attendees: list[str] = Field(default_factory=list, description="group names or person ids")
    board: bool = Field(False, description="this meeting receives a board pack")
    pack_plans: list[str] = Field(default_factory=list, description="plan keys whose pack goes to it (default: all)")
    description: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> "MeetingConfig":
        all_day = not isinstance(self.start, dt.datetime)
        if self.end is not None:
            if all_day == isinstance(self.end, dt.datetime):
                raise ValueError(f"meeting {self.id!r}: start and end must both be dates or both date-times")
            if self.end < self.start:  # type: ignore[operator]
                raise ValueError(f"meeting {self.id!r}: ends ({self.end}) before it starts ({self.start})")
        if self.rrule:
            _check_rrule(self.id, self.rrule, self.start)
        for key in self.moved:
            try:
                dt.date.fromisoformat(key)
            except ValueError:
                raise ValueError(f"meeting {self.id!r}: moved: {key!r} is not a date (YYYY-MM-DD)") from None
        return self


def _check_rrule(meeting_id: str, rule: str, start: dt.datetime | dt.date) -> None:
    from dateutil.rrule import rrulestr

    first = start if isinstance(start, dt.datetime) else dt.datetime.combine(start, dt.time())
    try:
        rrulestr(rule.removeprefix("RRULE:"), dtstart=first)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"meeting {meeting_id!r}: not a valid RRULE {rule!r}: {exc}") from None


class GovernanceConfig(_Strict):
    organiser: str | None = Field(None, description="person id of the organiser (default: the plan secretary)")
    invites: Literal["email", "calendar-items"] = Field(
        "email", description="email: iTIP invitations through the mail transport; calendar-items: meetings "
                             "created in the organiser's Exchange / Microsoft 365 calendar, which sends them")
    meetings: list[MeetingConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> "GovernanceConfig":
        ids = [m.id for m in self.meetings]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"meeting listed twice: {', '.join(twice)}")
        return self


# --------------------------------------------------------------------------- main file


class ReminderSettings(_Strict):
    ahead_days: list[int] = Field(default_factory=lambda: [14, 3])
    overdue_repeat_days: int = 7
    escalate_after_days: int = 14
    bank_holidays: Literal["england-and-wales", "scotland", "northern-ireland", "none"] = "england-and-wales"
    no_due_date_monthly: bool = True


class PackSettings(_Strict):
    working_days_before: int = 5
    recipients: list[str] = Field(default_factory=list, description="extra email addresses")
    max_attachment_mb: float = 15.0
    stale_after_days: int = 30
    not_updated_grace_days: int = Field(5, ge=0, description="'who has not updated' counts only owners reminded "
                                        "at least this many working days before the pack")


class ScheduleSettings(_Strict):
    """Cron expressions, in the plan's timezone, for each scheduled job."""

    reminders: str = Field("0 8 * * 1-5", description="due-date check and reminders (08:00 on weekdays)")
    replies: str = Field("*/10 * * * *", description="collect replies (every 10 minutes)")
    board_pack: str = Field("0 7 * * *", description="build and send the pack when a board is near (daily)")
    calendar: str = Field("30 7 * * *", description="send what changed in the governance calendar (daily)")
    outbox: str = Field("*/5 * * * *", description="deliver due mail: retries after an outage or a crash "
                        "(every 5 minutes)")

    @field_validator("reminders", "replies", "board_pack", "calendar", "outbox")
    @classmethod
    def _cron(cls, v: str) -> str:
        if len(v.split()) != 5:
            raise ValueError(f"not a 5-field cron expression: {v!r}")
        return v


class PlanConfig(_Strict):
    key: str
    title: str = ""
    partnership: str = ""
    timezone: str = "Europe/London"
    secretary: str | None = Field(None, description="person id of the board secretary")
    business_manager: str | None = Field(None, description="person id: default escalation contact")
    mailbox: str | None = Field(None, description="the plan's reply-to address")
    reminders: ReminderSettings = Field(default_factory=ReminderSettings)
    pack: PackSettings = Field(default_factory=PackSettings)
    schedules: ScheduleSettings = Field(default_factory=ScheduleSettings)
    mail: "MailSettings | None" = Field(None, description="this plan's own mailbox (default: the [mail] section)")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {v!r}") from None
        return v


def _secret_block(what: str, env_key: str) -> Any:
    """A ``*_block`` key: the name of a Prefect Secret block, used instead of ``env_key``."""
    return Field(None, description=f"Prefect Secret block holding the {what} (instead of {env_key}; "
                                   "read only under Prefect)")


class _Limited(_Strict):
    """Sending limits per mailbox (0: none): mail over them waits in the outbox, it is not failed."""

    max_messages_per_minute: int = Field(0, ge=0, description="messages a minute from one mailbox (0: no limit)")
    max_recipients_per_day: int = Field(0, ge=0, description="recipients in any 24 hours from one mailbox (0: no limit)")


class SmtpSettings(_Limited):
    host: str = "localhost"
    port: int = 25
    security: Literal["none", "starttls", "ssl"] = "none"
    username_env: str | None = Field(None, description="environment variable holding the user name")
    password_env: str | None = Field(None, description="environment variable holding the password")
    username_block: str | None = _secret_block("user name", "username_env")
    password_block: str | None = _secret_block("password", "password_env")
    timeout: float = 30.0


class ImapSettings(_Strict):
    host: str = "localhost"
    port: int = 143
    security: Literal["none", "starttls", "ssl"] = "none"
    username_env: str | None = None
    password_env: str | None = None
    username_block: str | None = _secret_block("user name", "username_env")
    password_block: str | None = _secret_block("password", "password_env")
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    quarantine_folder: str = "Quarantine"


class EwsSettings(_Limited):
    server: str | None = None
    service_endpoint: str | None = None
    primary_smtp_address: str | None = None
    username_env: str = "PLANWARDEN_EWS_USERNAME"
    password_env: str = "PLANWARDEN_EWS_PASSWORD"
    username_block: str | None = _secret_block("user name", "username_env")
    password_block: str | None = _secret_block("password", "password_env")
    auth_type: Literal["NTLM", "basic", "digest"] | None = Field(
        None, description="how to log in to Exchange (default: found by asking the server)")
    version: str | None = Field(None, description="Exchange build, e.g. \"Exchange2016\" or \"15.1.2507.6\" "
                                                  "(default: found by asking the server)")

    @field_validator("version")
    @classmethod
    def _version(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from planwarden.core.ews_version import parse_version  # no import of exchangelib

        parse_version(v)  # raises ValueError naming the accepted forms
        return v


class GraphSettings(_Strict):
    max_messages_per_minute: int = Field(30, ge=0, description="Exchange Online's limit: 30 messages a minute")
    max_recipients_per_day: int = Field(10_000, ge=0, description="Exchange Online's limit: 10,000 recipients a day")
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret_env: str = "PLANWARDEN_GRAPH_CLIENT_SECRET"
    client_secret_block: str | None = _secret_block("client secret", "client_secret_env")
    mailbox: str | None = Field(None, description="user id or UPN of the sending mailbox")
    base_url: str = "https://graph.microsoft.com/v1.0"


class MailSettings(_Strict):
    transport: Literal["outbox", "smtp", "ews", "graph"] = "outbox"
    from_address: str = "planwarden@localhost"
    from_name: str = "planwarden"
    outbox_dir: str | None = Field(None, description="default: <data_dir>/outbox")
    inbox_dir: str | None = Field(None, description="default: <data_dir>/inbox")
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    imap: ImapSettings = Field(default_factory=ImapSettings)
    ews: EwsSettings = Field(default_factory=EwsSettings)
    graph: GraphSettings = Field(default_factory=GraphSettings)
    max_attempts: int = 8
    authserv_ids: list[str] = Field(
        default_factory=list, description="authserv-ids of the receiving mail servers whose Authentication-Results "
        "headers count (RFC 8601); every other copy of the header is ignored. See docs/replies.md")
    require_authentication: bool = Field(
        False, description="quarantine any reply without dmarc=pass for the sender's own domain from one of "
        "authserv_ids")


PlanConfig.model_rebuild()


class Settings(_Strict):
    database_url: str | None = Field(None, description="default: sqlite:///<data_dir>/planwarden.db")
    data_dir: str | None = Field(None, description="default: $PLANWARDEN_HOME or ~/.local/share/planwarden")
    directory: str | None = Field(None, description="directory file, relative to this file")
    governance: str | None = Field(None, description="governance calendar file, relative to this file")
    mail: MailSettings = Field(default_factory=MailSettings)
    plans: list[PlanConfig] = Field(default_factory=list)
    batch_reminders: bool = Field(
        False, description="reminders-all deployments run many plans' reminders in one flow run each, one plan "
        "at a time, instead of one deployment per plan: recommended for many partnerships (docs/operations.md)")
    batch_reminders_plans: int = Field(
        50, ge=1, description="with batch_reminders: plans per reminders-all deployment; more plans get several "
        "deployments (reminders-all-1, -2, ...), which the workers run side by side")

    @model_validator(mode="after")
    def _unique_plans(self) -> "Settings":
        keys = [p.key for p in self.plans]
        if len(keys) != len(set(keys)):
            raise ValueError("a plan key is listed twice")
        return self


# --------------------------------------------------------------------------- loading


class Config:
    """The loaded settings with paths resolved: what the rest of the code uses."""

    def __init__(self, settings: Settings, directory: DirectoryConfig, governance: GovernanceConfig,
                 source: Path | None) -> None:
        self.settings = settings
        self.directory = directory
        self.governance = governance
        self.source = source
        base = source.parent if source else Path.cwd()
        self.data_dir = data_dir(settings.data_dir, base)
        self.database_url = database_url_from(settings.database_url, self.data_dir)

    def plan(self, key: str | None) -> PlanConfig:
        """The plan's settings; an unconfigured plan key gets the defaults."""
        for p in self.settings.plans:
            if key is None or p.key == key:
                return p
        return PlanConfig(key=key or "default")

    @property
    def mail(self) -> MailSettings:
        return self.settings.mail

    def mail_for(self, plan_key: str | None) -> MailSettings:
        """A plan with its own mailbox uses it; others share the [mail] section."""
        own = self.plan(plan_key).mail if plan_key else None
        return own or self.settings.mail

    @property
    def plans(self) -> list[PlanConfig]:
        """Configured plans, or one default plan when none is configured."""
        return list(self.settings.plans) or [PlanConfig(key="default")]

    def mail_dir(self, which: Literal["outbox", "inbox"], mail: MailSettings | None = None) -> Path:
        """The outbox/inbox folder of ``mail`` (default: the [mail] section)."""
        mail = mail or self.mail
        configured = mail.outbox_dir if which == "outbox" else mail.inbox_dir
        base = self.source.parent if self.source else Path.cwd()
        return resolve(configured, base) if configured else self.data_dir / which


def _validate(model: type[BaseModel], data: dict[str, Any], path: Path) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "-"
        reason = "unknown key (misspelt?)" if err["type"] == "extra_forbidden" else err["msg"]
        raise ConfigError(str(path), key, reason) from None


def load_config(path: Path | None = None) -> Config:
    """Load and validate everything; raise ConfigError on the first mistake."""
    path = path if path is not None else config_path()
    if path is None:
        return Config(Settings(), DirectoryConfig(), GovernanceConfig(), None)
    settings: Settings = _validate(Settings, read_toml(path), path)
    directory = _load_part(settings.directory, path, DirectoryConfig)
    governance = _load_part(settings.governance, path, GovernanceConfig)
    _cross_check(settings, directory, path)
    if settings.governance:
        _check_governance(governance, directory, resolve(settings.governance, path.parent))
    return Config(settings, directory, governance, path)


def _load_part(name: str | None, main: Path, model: type[BaseModel]) -> Any:
    if not name:
        return model()
    part = resolve(name, main.parent)
    return _validate(model, read_toml(part), part)


def _cross_check(settings: Settings, directory: DirectoryConfig, path: Path) -> None:
    ids = {p.id for p in directory.people}
    for i, plan in enumerate(settings.plans):
        for key in ("secretary", "business_manager"):
            value = getattr(plan, key)
            if value and value not in ids:
                raise ConfigError(str(path), f"plans.{i}.{key}", f"unknown person id {value!r} (not in the directory)")


def _check_governance(governance: GovernanceConfig, directory: DirectoryConfig, path: Path) -> None:
    """The organiser is a person; every attendee is a person id or a group's name or alias."""
    ids = {p.id for p in directory.people}
    if governance.organiser and governance.organiser not in ids:
        raise ConfigError(str(path), "organiser", f"unknown person id {governance.organiser!r} (not in the directory)")
    for i, meeting in enumerate(governance.meetings):
        for j, name in enumerate(meeting.attendees):
            if name not in ids and directory.group(name) is None:
                raise ConfigError(str(path), f"meetings.{i}.attendees.{j}",
                                  f"{name!r} is neither a person id nor a group in the directory")
