"""Writing a parsed plan into the store: sections, areas, actions, owners, first updates.

Import is the only writer of whole plans; it records every change through the store's
``record_change`` so that a past month's board pack can be rebuilt exactly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from planwarden.core import clock
from planwarden.core.config import PlanConfig
from planwarden.core.text import safe_text
from planwarden.importing.parsed import ParsedAction, ParsedPlan, Warning_
from planwarden.plan.directory import Directory, tidy
from planwarden.plan.models import Action, Area, ImportRun, ProgressUpdate, Section
from planwarden.plan.owners import directory_for, set_owners
from planwarden.plan.store import current_value, get_or_create_plan, latest_update, record_change, snapshot


@dataclass
class WriteResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[Warning_] = field(default_factory=list)
    unresolved: list[dict[str, Any]] = field(default_factory=list)


def _number(value: str | None) -> str | None:
    """'1.1 Partnership practice' or '1.1' -> '1.1'."""
    if not value:
        return None
    m = re.match(r"\s*(\d+(?:\.\d+)*)", value)
    return m.group(1) if m else None


class PlanWriter:
    """Stores a parsed plan: sections, areas, actions, owners, first updates."""

    def __init__(self, session: Session, plan_cfg: PlanConfig, directory: Directory, *, actor: str,
                 source: str, source_ref: str) -> None:
        self.session = session
        self.actor, self.source, self.source_ref = actor, source, source_ref
        self.plan = get_or_create_plan(session, plan_cfg)
        self.directory = directory_for(session, directory, self.plan.id)  # with the secretary's mappings
        self.now = clock.now()

    def write(self, parsed: ParsedPlan) -> WriteResult:
        _safe_strings(parsed)
        if parsed.update_date and self.plan.update_date != parsed.update_date:
            self.plan.update_date = parsed.update_date
        if parsed.title and not self.plan.title:
            self.plan.title = parsed.title
        if parsed.rating_scale and self.plan.rating_scale != parsed.rating_scale:
            self.plan.rating_scale = parsed.rating_scale
        self._write_structure(parsed)
        existing = {a.ref: a for a in self.session.scalars(
            select(Action).where(Action.plan_id == self.plan.id).options(
                selectinload(Action.owners), selectinload(Action.updates)))}
        result = WriteResult()
        seen: set[str] = set()
        for position, item in enumerate(parsed.actions):
            if item.ref in seen:
                continue  # the reader has already warned about the duplicate
            seen.add(item.ref)
            self._write_action(item, existing.get(item.ref), position, parsed.update_date, result)
        missing = sorted(set(existing) - seen, key=lambda r: existing[r].position)
        for ref in missing:
            result.warnings.append(Warning_(ref, "ref", "in the store but not in this file: kept unchanged"))
        return result

    # ------------------------------------------------------------------ structure

    def _write_structure(self, parsed: ParsedPlan) -> None:
        sections = {s.number: s for s in self.session.scalars(select(Section).where(Section.plan_id == self.plan.id))}
        areas = {a.number: a for a in self.session.scalars(select(Area).where(Area.plan_id == self.plan.id))}
        for spos, ps in enumerate(parsed.sections):
            section = sections.get(ps.number)
            if section is None:
                section = sections[ps.number] = Section(plan_id=self.plan.id, number=ps.number)
                self.session.add(section)
            section.title, section.position = ps.title or section.title, spos
            self.session.flush()
            for apos, pa in enumerate(ps.areas):
                area = areas.get(pa.number)
                if area is None:
                    area = areas[pa.number] = Area(plan_id=self.plan.id, number=pa.number, section_id=section.id)
                    self.session.add(area)
                area.section_id, area.position = section.id, apos
                for name in ("title", "priority_action", "what_needs_to_improve", "what_inspectors_found"):
                    value = getattr(pa, name)
                    if value:
                        setattr(area, name, value)
        self.session.flush()
        self.sections, self.areas = sections, areas

    # ------------------------------------------------------------------ actions

    def _values(self, item: ParsedAction, current: Action | None) -> dict[str, Any]:
        section = _number(item.section)
        area = _number(item.area)
        return {
            "text": item.text.strip(), "owner_text": tidy(item.owner_text), "due": item.due,
            "due_text": tidy(item.due_text), "milestones": [d.isoformat() for d in item.milestones],
            "rag": item.rag, "complete": self._complete(item), "extra": dict(item.extra) or None,
            "section": section if section else (current_value(current, "section")),
            "area": area if area else (current_value(current, "area")),
        }

    def _complete(self, item: ParsedAction) -> bool:
        """Under RAG a green rating is the complete flag too (the seed and older readers only give the colour)."""
        return bool(item.complete) or (item.rag == "green" and (self.plan.rating_scale or "rag") == "rag")

    def _write_action(self, item: ParsedAction, action: Action | None, position: int,
                      update_date: dt.date | None, result: WriteResult) -> None:
        values = self._values(item, action)
        created = action is None
        if action is None:
            action = Action(plan_id=self.plan.id, ref=item.ref, position=position, created_at=self.now,
                            updated_at=self.now)
            self.session.add(action)
            self._apply(action, values)
            self.session.flush()
            record_change(self.session, action, "created", None, snapshot(action), actor=self.actor,
                          source=self.source, source_ref=self.source_ref, at=self.now)
            changed = True
        else:
            action.position = position
            changed = self._diff_and_apply(action, values)
        owners_changed = self._set_owners(action, item, result)
        progress_added = self._add_progress(action, item, update_date)
        if created:
            result.created += 1
        elif changed or owners_changed or progress_added:
            result.updated += 1
        else:
            result.unchanged += 1

    def _apply(self, action: Action, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name == "section":
                action.section_id = self.sections[value].id if value in self.sections else None
            elif name == "area":
                action.area_id = self.areas[value].id if value in self.areas else None
            else:
                setattr(action, name, value)

    def _diff_and_apply(self, action: Action, values: dict[str, Any]) -> bool:
        changed = False
        for name, new in values.items():
            old = current_value(action, name)
            if old == new:
                continue
            self._apply(action, {name: new})
            record_change(self.session, action, name, old, new, actor=self.actor, source=self.source,
                          source_ref=self.source_ref, at=self.now)
            changed = True
        if changed:
            action.updated_at = self.now
        return changed

    def _set_owners(self, action: Action, item: ParsedAction, result: WriteResult) -> bool:
        resolution = self.directory.resolve(item.owner_text)
        if resolution.unresolved or not resolution.owners:
            what = "; ".join(resolution.unresolved) or "(no owner given)"
            result.warnings.append(Warning_(item.ref, "owner", f"owner not in the directory: {what} "
                                            "(kept as written; reminders go to the secretary)", item.line))
            result.unresolved.append({"ref": item.ref, "owner_text": tidy(item.owner_text),
                                      "unresolved": resolution.unresolved or [tidy(item.owner_text)]})
        return set_owners(self.session, action, resolution)

    def _add_progress(self, action: Action, item: ParsedAction, update_date: dt.date | None) -> bool:
        """The document's progress text becomes an update unless it is already the latest."""
        text = item.progress.strip()
        if not text:
            return False
        latest = latest_update(action)
        if latest is not None and latest.text.strip() == text:
            return False
        update = ProgressUpdate(date=update_date, author="", text=text, rag=item.rag, source="import",
                                decision="imported", created_at=self.now)
        action.updates.append(update)
        self.session.flush()
        record_change(self.session, action, "update", None, {"id": update.id, "text": text, "rag": item.rag},
                      actor=self.actor, source=self.source, source_ref=self.source_ref, at=self.now)
        return True

    def record_import(self, file_name: str, sha256: str, created: int, updated: int,
                      warnings: list[Warning_], unresolved: list[dict[str, Any]]) -> None:
        self.session.add(ImportRun(plan_id=self.plan.id, file_name=file_name, sha256=sha256, at=self.now,
                                   created=created, updated=updated,
                                   warnings=[w.as_json() for w in warnings], unresolved_owners=unresolved))


def _safe_strings(item: Any) -> Any:
    """Every string a reader found, as ``safe_text`` makes it (in place): a Word manual line
    break (vertical tab) or a stray control character would otherwise be stored, and the
    export refuses it. The one place imported text passes on its way to the store."""
    if isinstance(item, str):
        return safe_text(item)
    if isinstance(item, list):
        item[:] = [_safe_strings(v) for v in item]
    elif isinstance(item, dict):
        for key, value in item.items():
            item[key] = _safe_strings(value)
    elif dataclasses.is_dataclass(item) and not isinstance(item, type):
        for f in dataclasses.fields(item):
            setattr(item, f.name, _safe_strings(getattr(item, f.name)))
    return item
