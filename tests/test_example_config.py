"""The worked example in config/examples/jtai fits the real JTAI plan (seed 000).

Every "Action Owner" written in the seed must resolve completely through the example
directory, and the governance calendar must hold the dates the plan talks about.
The owner texts are read from the seed here with a small extraction of our own,
independent of the importer.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from planwarden.core.config import Config, load_config
from planwarden.plan.directory import Directory, normalise
from planwarden.calendar.governance import series_dates, upcoming

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "config" / "examples" / "jtai"
SEED_NAME = "000_3a816ad8139d38e0.txt"
SEED_PLACES = [
    Path(__file__).parent / "data" / "seeds" / SEED_NAME,
    EXAMPLE / "plan" / SEED_NAME,
    Path("/work/shared/seeds") / SEED_NAME,
]
REF = re.compile(r"^\d+\.\d+[a-z]$")


def _seed() -> Path:
    for place in SEED_PLACES:
        if place.exists():
            return place
    raise FileNotFoundError(f"seed {SEED_NAME} not found in any of {[str(p) for p in SEED_PLACES]}")


def seed_owners() -> dict[str, str]:
    """ref -> owner text as written (third cell), joined across page breaks.

    After a page break the rest of an action's row comes on a line that starts with a
    tab (no ref); if its third cell is not empty it continues the owner text (3.2c).
    """
    owners: dict[str, str] = {}
    last: str | None = None
    for line in _seed().read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        if REF.match(cells[0].strip()):
            last = cells[0].strip()
            owners[last] = cells[2].strip() if len(cells) > 2 else ""
        elif line.startswith("\t") and len(cells) > 2 and cells[2].strip() and last:
            owners[last] = f"{owners[last]} {cells[2].strip()}"
    return owners


OWNERS = seed_owners()
TEXTS: dict[str, list[str]] = {}
for _ref, _text in OWNERS.items():
    TEXTS.setdefault(_text, []).append(_ref)


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(EXAMPLE / "planwarden.toml")


@pytest.fixture(scope="module")
def directory(config: Config) -> Directory:
    return Directory(config.directory)


# ------------------------------------------------------------------ the extraction itself


def test_seed_has_77_actions_each_with_an_owner() -> None:
    assert len(OWNERS) == 77
    assert all(OWNERS.values())
    assert OWNERS["3.2c"] == ("Head of Service for Child in Need and Child Protection, and Head of Service "
                              "for Cared for Children and Care Leavers, Cheshire East Council")


# ------------------------------------------------------------------ the settings file


def test_example_validates_with_the_documented_settings(config: Config) -> None:
    settings = config.settings
    assert settings.database_url is None and settings.data_dir is None  # defaults apply
    assert settings.mail.transport == "outbox"
    assert settings.mail.from_address.endswith("@example.org")
    [plan] = settings.plans
    assert plan.key == "jtai"
    assert plan.title == "JTAI Action Plan — Criminal Exploitation of Children"
    assert plan.partnership == "Cheshire East Safeguarding Children's Partnership"
    assert plan.timezone == "Europe/London"
    assert plan.mailbox and plan.mailbox.endswith("@example.org")
    assert all(r.endswith("@example.org") for r in plan.pack.recipients)


def test_secretary_is_the_lscp_business_manager(config: Config, directory: Directory) -> None:
    plan = config.plan("jtai")
    role = directory.lookup("LSCP Business Manager")
    assert role is not None and role.kind == "role"
    assert [p.id for p in role.people] == [plan.secretary] == [plan.business_manager]
    assert config.governance.organiser == plan.secretary


def test_everyone_is_at_example_org_as_firstname_lastname(config: Config) -> None:
    for person in config.directory.people:
        assert person.email == f"{person.id}@example.org"
        first, last = person.name.lower().split()[0], person.name.lower().split()[-1]
        assert person.id == f"{first}.{last}"


# ------------------------------------------------------------------ owner resolution


@pytest.mark.parametrize("text", sorted(TEXTS), ids=lambda t: ",".join(TEXTS[t]))
def test_every_owner_text_in_the_seed_resolves_completely(directory: Directory, text: str) -> None:
    result = directory.resolve(text)
    assert result.unresolved == [], f"{TEXTS[text]}: {text!r} left {result.unresolved}"
    assert result.owners and result.people, f"{text!r} resolved to nobody"


@pytest.mark.parametrize(("ref", "expected"), [
    ("5.4g", [("person", "james.adams"), ("person", "claire.littlewood"), ("person", "simon.whittaker")]),
    ("3.2c", [("role", "mark.dennison"), ("role", "kate.holloway")]),
    ("2.3e", [("role", "caroline.lowe"), ("role", "rebecca.hale")]),
    ("2.2a", [("role", "laura.pickering"), ("role", "anil.mehta")]),
    # commas inside one owner's name do not split it
    ("4.1a", [("role", "gemma.riley")]),
    ("3.1a", [("role", "mark.dennison")]),
    ("3.4a", [("role", "fiona.lewis")]),
])
def test_texts_naming_several_owners_split_and_others_do_not(directory: Directory, ref: str,
                                                              expected: list[tuple[str, str]]) -> None:
    result = directory.resolve(OWNERS[ref])
    assert [(o.kind, o.people[0].id) for o in result.owners] == expected
    assert result.unresolved == []


def test_spelling_variants_in_the_seed_reach_the_same_owner(directory: Directory) -> None:
    pairs = [("1.2e", "1.2f"),  # Quality Assurance / Quality and Assurance
             ("5.2b", "5.2c"),  # subgroup / Sub Group
             ("1.2a", "6.1c"),  # Independent Scrutineer / scrutineer
             ("5.3c", "5.4c"),  # Director of Social Care / of Children's Social Care
             ("1.1e", "5.3d"),  # All Health Safeguarding Leads / All Safeguarding Leads
             ("2.3a", "2.3e")]  # "Head of Safeguarding East Cheshire Trust", with and without comma
    for a, b in pairs:
        first, second = directory.resolve(OWNERS[a]).owners, directory.resolve(OWNERS[b]).owners
        assert first[0] == second[0], (a, b)


def test_every_action_owner_has_a_deputy(directory: Directory) -> None:
    for ref, text in OWNERS.items():
        for person in directory.resolve(text).people:
            assert person.deputies, f"{ref}: {person.id} has no deputy"


def test_no_two_entries_share_a_name_or_alias(config: Config) -> None:
    """A shared name would silently hide one entry: the first one listed wins."""
    seen: dict[str, str] = {}
    d = config.directory
    entries = ([(f"person {p.id}", [p.name, p.id, *p.aliases]) for p in d.people]
               + [(f"role {r.name}", [r.name, *r.aliases]) for r in d.roles]
               + [(f"group {g.name}", [g.name, *g.aliases]) for g in d.groups])
    for who, names in entries:
        for name in names:
            key = normalise(name)
            assert seen.setdefault(key, who) == who, f"{name!r}: {seen[key]} and {who}"


# ------------------------------------------------------------------ groups


def test_every_group_has_a_chair_and_members(config: Config) -> None:
    for group in config.directory.groups:
        assert group.chair, group.name
        assert group.chair in group.members, group.name


def test_chair_roles_are_held_by_the_chair_of_their_group(config: Config, directory: Directory) -> None:
    chair_roles = [r for r in config.directory.roles if r.name.startswith("Chair of the ")]
    assert len(chair_roles) >= 5
    for role in chair_roles:
        group = directory.group(role.name.removeprefix("Chair of the "))
        assert group is not None, role.name
        assert role.holders == [group.chair], role.name


def test_the_three_jtai_groups_and_the_lscp_executive_exist(directory: Directory) -> None:
    eob = directory.group("JTAI Executive Oversight Board")
    assert eob is not None and len(eob.members) == 4  # the chief officers
    for name in ("JTAI Improvement Board", "JTAI MASA Improvement Group", "LSCP Executive"):
        assert directory.group(name) is not None, name


# ------------------------------------------------------------------ governance calendar


def _meeting(config: Config, meeting_id: str):  # noqa: ANN202
    return next(m for m in config.governance.meetings if m.id == meeting_id)


def test_conference_is_all_day_on_31_january_2023(config: Config) -> None:
    [conference] = [m for m in config.governance.meetings if "Conference" in m.title]
    assert conference.start == dt.date(2023, 1, 31) and not isinstance(conference.start, dt.datetime)
    assert conference.end is None and conference.rrule is None


def test_learning_week_runs_30_january_to_3_february_2023(config: Config) -> None:
    [week] = [m for m in config.governance.meetings if "Learning Week" in m.title]
    assert week.start == dt.date(2023, 1, 30) and not isinstance(week.start, dt.datetime)
    assert week.end == dt.date(2023, 2, 3)


def test_board_meetings_in_december_2022(config: Config) -> None:
    tz = config.plan("jtai").timezone
    boards = upcoming(config.governance, tz, dt.date(2022, 12, 1), dt.date(2022, 12, 31), boards_only=True,
                      plan_key="jtai")
    found = {(o.meeting.title, o.day) for o in boards}
    assert ("JTAI Improvement Board", dt.date(2022, 12, 21)) in found
    assert ("LSCP Executive", dt.date(2022, 12, 12)) in found  # the meeting the plan reports on


def test_lscp_executive_dates_match_the_plan(config: Config) -> None:
    tz = config.plan("jtai").timezone
    meeting = _meeting(config, "lscp-executive")
    days = [o.day for o in upcoming(config.governance, tz, dt.date(2022, 8, 1), dt.date(2023, 12, 31))
            if o.meeting is meeting]
    assert days[:5] == [dt.date(2022, 8, 8), dt.date(2022, 10, 10), dt.date(2022, 12, 12),
                        dt.date(2023, 2, 8), dt.date(2023, 4, 24)]
    # every moved occurrence is one the series really has
    every = series_dates(meeting, dt.date(2022, 1, 1), dt.date(2024, 12, 31))
    assert {dt.date.fromisoformat(k) for k in meeting.moved} <= set(every)


def test_meetings_are_monthly_jtai_groups_and_packs_go_to_boards(config: Config) -> None:
    tz = config.plan("jtai").timezone
    for title in ("JTAI Improvement Board", "JTAI MASA Improvement Group"):
        months = {(o.day.year, o.day.month) for o in upcoming(config.governance, tz, dt.date(2023, 1, 1),
                                                                  dt.date(2023, 12, 31)) if o.meeting.title == title}
        assert len(months) == 12, title
    boards = {m.title for m in config.governance.meetings if m.board}
    assert boards == {"LSCP Executive", "JTAI Improvement Board", "JTAI Executive Oversight Board"}


def test_every_attendee_is_a_group_or_a_person(config: Config, directory: Directory) -> None:
    ids = {p.id for p in config.directory.people}
    for meeting in config.governance.meetings:
        assert meeting.attendees, meeting.id
        for name in meeting.attendees:
            group = directory.group(name)
            assert name in ids or (group is not None and group.members), f"{meeting.id}: {name!r}"


def test_meetings_have_a_place_and_online_links_are_at_example_org(config: Config) -> None:
    for meeting in config.governance.meetings:
        assert meeting.location, meeting.id
        assert not meeting.online_url or meeting.online_url.startswith("https://teams.example.org/")
