"""Resolving an owner text, as written in a plan, to people in the directory.

An owner text can name several owners ("Inspector Adams, Detective Chief Inspector
Littlewood, and Detective Chief Inspector Whittaker") or contain commas while naming
one ("Head of Service: Education Participation and Pupil Support, Cheshire East
Council"). Only the directory can tell them apart, so the text is split only where
every part resolves; whatever does not resolve is reported, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from planwarden.core.config import DirectoryConfig, GroupConfig, PersonConfig, RoleConfig
from planwarden.core.text import normalise, tidy

__all__ = ["Directory", "Owner", "Resolution", "normalise", "tidy"]

_SEPARATORS = re.compile(r"\s*(?:,\s*and\s+|,\s*&\s*|,|;|\s+and\s+|\s*&\s*|\s*/\s*)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Owner:
    """One resolved owner: a person, a role or a group, and who receives its mail."""

    kind: str  # "person" | "role" | "group"
    name: str
    people: tuple[PersonConfig, ...]
    escalation: tuple[PersonConfig, ...] = ()


@dataclass
class Resolution:
    owners: list[Owner] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)

    @property
    def people(self) -> list[PersonConfig]:
        """Everyone who receives this action's reminders, in order, once each."""
        seen: dict[str, PersonConfig] = {}
        for owner in self.owners:
            for person in owner.people:
                seen.setdefault(person.id, person)
        return list(seen.values())

    @property
    def escalation(self) -> list[PersonConfig]:
        seen: dict[str, PersonConfig] = {}
        for owner in self.owners:
            for person in owner.escalation:
                seen.setdefault(person.id, person)
        return list(seen.values())


class Directory:
    """The directory config, indexed by every name and alias."""

    def __init__(self, config: DirectoryConfig, mappings: dict[str, list[str]] | None = None) -> None:
        """``mappings``: owner texts the secretary mapped by hand to person ids (``plan.owners``)."""
        self.config = config
        self.people = {p.id: p for p in config.people}
        self.mappings = dict(mappings or {})

    def person(self, person_id: str | None) -> PersonConfig | None:
        return self.people.get(person_id) if person_id else None

    def by_email(self, email: str) -> PersonConfig | None:
        wanted = email.strip().lower()
        return next((p for p in self.config.people if p.email.lower() == wanted), None)

    def group(self, name: str) -> GroupConfig | None:
        return self.config.group(name)

    @cached_property
    def _index(self) -> dict[str, Owner]:
        index: dict[str, Owner] = {}
        for p in self.config.people:
            owner = Owner("person", p.name, (p,), self._ids(p.escalation))
            for name in [p.name, p.id, *p.aliases]:
                index.setdefault(normalise(name), owner)
        for r in self.config.roles:
            self._add_role(index, r)
        for g in self.config.groups:
            self._add_group(index, g)
        for text, ids in self.mappings.items():
            people = self._ids(*ids)
            if people:  # a mapping names the text as written: it wins over a partial match
                index[normalise(text)] = Owner("mapped", tidy(text), people)
        return index

    def _ids(self, *ids: str | None) -> tuple[PersonConfig, ...]:
        return tuple(self.people[i] for i in ids if i and i in self.people)

    def _add_role(self, index: dict[str, Owner], role: RoleConfig) -> None:
        owner = Owner("role", role.name, self._ids(*role.holders), self._ids(role.escalation))
        for name in [role.name, *role.aliases]:
            index.setdefault(normalise(name), owner)

    def _add_group(self, index: dict[str, Owner], group: GroupConfig) -> None:
        receivers = group.contacts or ([group.chair] if group.chair else [])
        owner = Owner("group", group.name, self._ids(*receivers), self._ids(group.chair))
        for name in [group.name, *group.aliases]:
            index.setdefault(normalise(name), owner)

    def lookup(self, text: str) -> Owner | None:
        return self._index.get(normalise(text))

    def resolve(self, owner_text: str) -> Resolution:
        """Resolve the whole text, else the fewest parts that all resolve."""
        text = tidy(owner_text)
        if not text:
            return Resolution()
        whole = self.lookup(text)
        if whole:
            return Resolution([whole])
        return self._segment(text, _pieces(text))

    def _segment(self, text: str, spans: list[tuple[int, int]]) -> Resolution:
        """Dynamic programme over the pieces: fewest owners covering all of them.

        A candidate owner is the original text from the start of one piece to the
        end of a later one, so separators inside a name ("Need and Child
        Protection") are kept when matching.
        """
        n = len(spans)
        best: list[list[Owner] | None] = [None] * (n + 1)
        best[0] = []
        for end in range(1, n + 1):
            for start in range(end):
                prev = best[start]
                if prev is None:
                    continue
                owner = self.lookup(text[spans[start][0]:spans[end - 1][1]])
                if owner and (best[end] is None or len(prev) + 1 < len(best[end] or [])):
                    best[end] = [*prev, owner]
        if best[n] is not None:
            return Resolution(_unique(best[n] or []))
        pieces = [text[a:b] for a, b in spans]
        found = [o for o in (self.lookup(p) for p in pieces) if o]
        unresolved = [p for p in pieces if not self.lookup(p)]
        return Resolution(_unique(found), unresolved if found else [text])


def _pieces(text: str) -> list[tuple[int, int]]:
    """(start, end) of the text between separators."""
    spans, pos = [], 0
    for sep in _SEPARATORS.finditer(text):
        if sep.start() > pos:
            spans.append((pos, sep.start()))
        pos = sep.end()
    if pos < len(text):
        spans.append((pos, len(text)))
    return spans


def _unique(owners: list[Owner]) -> list[Owner]:
    out: list[Owner] = []
    for o in owners:
        if o not in out:
            out.append(o)
    return out
