"""People from the plan: a draft directory from the owner texts, and the texts still unresolved.

``planwarden directory suggest --plan KEY --out directory.toml`` reads every owner text of
the plan and drafts the directory entries the secretary has to complete with addresses:

- a text is split into owners at ``;``, ``/`` and ``&``, and at commas and "and" only when
  every part then names a person ("Inspector Adams, DCI Littlewood and DCI Whittaker"), so
  "Head of Safeguarding, Acute Trust" stays one role;
- a part with a title ("DCI", "Dr", "Inspector", "Mrs"…) or shaped like a name ("Jane
  Shuttleworth", "A. Jones", "J Smith") is a person; a name with the post beside it ("Jane
  Smith (Head of EH)", "Jane Smith, Head of EH") is that person, with the text as an alias; one naming a board, group, panel, committee, partnership… is
  a group; anything else is a role (a post: "Head of MASH"), with a placeholder holder;
- texts the current directory already resolves are left out; each entry says which
  actions use it. Emails are left empty: the file does not load until they are filled in,
  so nothing is sent to a guessed address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from planwarden.plan.directory import Directory, normalise, tidy
from planwarden.plan.models import Action, Plan
from planwarden.plan.owners import directory_for

_TITLES = (r"mr|mrs|ms|miss|dr|prof|professor|cllr|councillor|sir|dame|dci|di|dc|ds|dsupt|det supt|supt|"
           r"superintendent|chief superintendent|inspector|ch insp|insp|sergeant|sgt|pc|detective chief inspector|"
           r"detective inspector|detective superintendent|detective sergeant|chief inspector")
_PERSON = re.compile(rf"^(?:(?:{_TITLES})\.?\s+)[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+){{0,2}}$|"
                     r"^[A-Z][a-z'’-]+(?:\s+[A-Z]\.?)?\s+[A-Z][a-z'’-]+(?:-[A-Z][a-z]+)?$|"
                     r"^(?-i:(?:[A-Z]\.\s?){1,2}[A-Z][a-z'’-]+|[A-Z]{1,2}\s[A-Z][a-z'’-]+)$",  # "A. Jones", "J Smith"
                     re.I)
_WITH_POST = re.compile(r"^(?P<name>[^(),–-]+?)\s*(?:\((?P<post>[^()]+)\)|\s[–-]\s*(?P<dash>.+)|,\s*(?P<comma>.+))$")
_ROLE_WORDS = re.compile(r"\b(?:head|director|manager|chair|lead|officer|nurse|doctor|service|team|board|group|"
                         r"partnership|council|trust|unit|coordinator|co-ordinator|designated|named|principal|"
                         r"assistant|chief|executive|commissioning|safeguarding|police|health|social|care|gp|protection|public|"
                         r"mash|services|adults?|children|education|unit|hub|nursing|school|team|named)\b", re.I)
_GROUP = re.compile(r"\b(?:group|sub-?group|board|partnership|panel|committee|forum|network|executive|"
                    r"agencies|partners)\W*(?:\([^)]*\))?\W*$", re.I)  # the last word: "Board Manager" is a post
_ALWAYS = re.compile(r"\s*(?:;|/|&|\n)\s*")
_SOMETIMES = re.compile(r"\s*(?:,\s*and\s+|,|\s+and\s+)\s*", re.I)


@dataclass
class Suggestion:
    kind: str  # "person" | "role" | "group"
    name: str
    refs: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)  # the plan's own texts for this person ("Jane Smith (Head of EH)")

    @property
    def id(self) -> str:
        return re.sub(r"[^a-z0-9]+", ".", normalise(self.name)).strip(".")[:60] or "someone"


def is_person(text: str) -> bool:
    """A title and a surname ("DCI Littlewood"), or a first name and a surname ("Jane Shuttleworth")."""
    if not _PERSON.match(text):
        return False
    title = re.match(rf"(?:{_TITLES})\.?\s+", text, re.I)
    rest = text[title.end():] if title else text
    return not _ROLE_WORDS.search(rest)


def split_owners(text: str) -> list[str]:
    """An owner cell as separate owners (see the module docstring for when commas split)."""
    parts: list[str] = []
    for chunk in (c for c in _ALWAYS.split(tidy(text)) if c.strip()):
        pieces = [p for p in _SOMETIMES.split(chunk) if p.strip()]
        parts.extend(pieces if len(pieces) > 1 and all(is_person(p) for p in pieces) else [chunk])
    return [p.strip(" .") for p in parts if p.strip(" .")]


def person_with_post(text: str) -> str | None:
    """'Jane Smith (Head of EH)', 'Jane Smith, Head of EH', 'Jane Smith – Head of EH' -> 'Jane Smith'; else None.

    Plans often give the post beside the name. Drafted as a role, the person would need a
    made-up holder; drafted as the person, with the plan's text as an alias, the directory
    resolves the text as written.
    """
    m = _WITH_POST.match(tidy(text))
    if m is None or not is_person(m["name"].strip()):
        return None
    return m["name"].strip()


def kind_of(text: str) -> str:
    if _GROUP.search(text):
        return "group"
    return "person" if is_person(text) else "role"


def suggest(session: Session, plan_key: str, directory: Directory) -> list[Suggestion]:
    """Every owner named in the plan that the directory does not know yet, once, with its refs."""
    directory = directory_for(session, directory, session.scalar(select(Plan.id).where(Plan.key == plan_key)))
    rows = session.execute(select(Action.ref, Action.owner_text).join(Plan).where(
        Plan.key == plan_key, Action.deleted_at.is_(None)).order_by(Action.position))
    found: dict[str, Suggestion] = {}
    for ref, owner_text in rows:
        if not (owner_text or "").strip() or not directory.resolve(owner_text).unresolved:
            continue
        for part in split_owners(owner_text):
            if directory.lookup(part) is not None:
                continue
            person = person_with_post(part)
            name = person or part
            entry = found.setdefault(normalise(name), Suggestion("person" if person else kind_of(part), name))
            if person and part not in entry.aliases:
                entry.aliases.append(part)
            if ref not in entry.refs:
                entry.refs.append(ref)
    return list(found.values())


def unresolved(session: Session, plan_key: str, directory: Directory) -> list[dict[str, object]]:
    """Owner texts of the plan the directory (with the secretary's mappings) cannot resolve (``planwarden check``)."""
    directory = directory_for(session, directory, session.scalar(select(Plan.id).where(Plan.key == plan_key)))
    rows = session.execute(select(Action.ref, Action.owner_text).join(Plan).where(
        Plan.key == plan_key, Action.deleted_at.is_(None)).order_by(Action.position))
    out: list[dict[str, object]] = []
    for ref, owner_text in rows:
        resolution = directory.resolve(owner_text or "")
        if resolution.unresolved or not resolution.owners:
            out.append({"ref": ref, "owner_text": tidy(owner_text or ""),
                        "unresolved": resolution.unresolved or [tidy(owner_text or "") or "(no owner given)"]})
    return out


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def directory_toml(suggestions: list[Suggestion], plan_key: str) -> str:
    """The draft as TOML in the directory's own format (see config/examples/jtai/directory.toml)."""
    out = [f"# Draft directory for plan {plan_key!r}, from the owner texts of its actions.",
           "# Fill in every email (and the names of the role holders), check the kinds, then add",
           "# these entries to the directory file named in planwarden.toml. It does not load as it is.", ""]
    people = [s for s in suggestions if s.kind == "person"]
    roles = [s for s in suggestions if s.kind == "role"]
    groups = [s for s in suggestions if s.kind == "group"]
    for s in people:
        aliases = [f"aliases = [{', '.join(_q(a) for a in s.aliases)}]"] if s.aliases else []
        out += [f"# used by {', '.join(s.refs)}", "[[people]]", f"id = {_q(s.id)}", f"name = {_q(s.name)}",
                *aliases, 'email = ""  # TODO', ""]
    for s in [*roles, *groups]:
        out += [f"# {'post' if s.kind == 'role' else 'group'} holder: TODO", "[[people]]",
                f"id = {_q(s.id + '.holder')}", 'name = ""  # TODO', 'email = ""  # TODO', ""]
    for s in roles:
        out += [f"# used by {', '.join(s.refs)}", "[[roles]]", f"name = {_q(s.name)}",
                f"holders = [{_q(s.id + '.holder')}]", ""]
    for s in groups:
        out += [f"# used by {', '.join(s.refs)}", "[[groups]]", f"name = {_q(s.name)}",
                f"chair = {_q(s.id + '.holder')}", ""]
    return "\n".join(out)
