"""What the board pack says, as one list of chapters of plain blocks.

The PDF (Typst, ``typeset``) and the Word document (python-docx, ``word``) are both
drawn from this one description, so they have the same chapters, tables, figures and
appendix by construction; a change to what the pack says is made once, here. Blocks
are plain dicts (JSON for Typst). Every string is data, escaped by the renderers.

Privacy: nothing here ever takes an email address. The secretary's annex (data
quality, quarantine, addresses of people reminded) is a separate document, built
only for the secretary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from planwarden.pack.compute import Counts, Flagged, PackData, SectionBlock, rag_key
from planwarden.pack.state import ActionState, AreaInfo

Block = dict[str, Any]
RAG_WORDS = {"red": "Red", "amber": "Amber", "green": "Green", "blue": "Blue", "none": "Not rated"}
RAG_MEANING = (("blue", "Complete, and the change embedded (BRAG plans)"),
               ("green", "Action completed (in a BRAG plan: on track)"),
               ("amber", "In progress and on track to be delivered within timescale"),
               ("red", "Delayed or at risk of not being achieved within timescale"),
               ("none", "No rating recorded"))
TRAVEL = {"better": "▲ better", "worse": "▼ worse", "same": "= same", "new": "new"}
UPDATE_CUT = 1200  # characters of one update shown in the full plan; the history keeps it all
LONG_LIST = 40  # a longer list of updates is summarised per section (each is in the full plan)
ACTION_WIDTHS = (14, 78, 34, 22, 16, 14)


@dataclass
class Chapter:
    key: str  # the anchor: "summary", "plan", ...
    title: str
    blocks: list[Block] = field(default_factory=list)
    break_before: bool = False


@dataclass
class Document:
    """A whole pack (or annex): cover facts, then chapters."""

    title: str  # the document title (metadata, window title)
    header: str
    footer: str
    cover: dict[str, Any]
    chapters: list[Chapter]
    author: str
    subject: str
    moment: dt.datetime
    charts: dict[str, str] = field(default_factory=dict)  # name -> alt text, for the figures


def long_date(value: dt.date | None) -> str:
    return f"{value:%-d %B %Y}" if value else "—"


def short_date(value: dt.date | None) -> str:
    return f"{value:%-d %b %Y}" if value else "—"


def rag_word(rag: str | None) -> str:
    return RAG_WORDS[rag_key(rag)]


def cut(text: str, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def heading(level: int, text: str, key: str = "") -> Block:
    return {"kind": "heading", "level": level, "text": text, "id": key}


def para(text: str, style: str = "") -> Block:
    return {"kind": "para", "text": text, "style": style}


def empty(text: str) -> Block:
    return para(text, "empty")


def rag_cell(rag: str | None) -> dict[str, str]:
    return {"text": rag_word(rag), "rag": rag_key(rag)}


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float],
          foot: Sequence[Any] | None = None, header_rags: Sequence[str] = ()) -> Block:
    """Column widths in millimetres: the PDF and the Word grid use the same."""
    return {"kind": "table", "header": list(header), "rows": [list(r) for r in rows], "widths": list(widths),
            "foot": list(foot) if foot else None, "header_rags": list(header_rags)}


# --------------------------------------------------------------------------- the pack


def board_pack(pack: PackData) -> Document:
    """The board's document (``pack.public``: the version for publication)."""
    chapters = [summary(pack), decisions(pack), changes(pack), exceptions(pack), due_next(pack)]
    if not pack.public:
        chapters.append(not_updated(pack))
    chapters += [governance(pack), full_plan(pack)]
    for number, chapter in enumerate(chapters, start=1):
        chapter.title = f"{number}. {chapter.title}"
    chapters.append(key(pack))
    kind = "Board pack (for publication)" if pack.public else "Board pack"
    return Document(
        title=f"{pack.title} — {kind.lower()}, {long_date(pack.as_of)}",
        header=f"{pack.title} — board pack, position at {long_date(pack.as_of)}",
        footer=f"Position as at {long_date(pack.as_of)}", cover=cover(pack, kind), chapters=chapters,
        author=pack.partnership or "planwarden", subject=kind, moment=pack.cutoff,
        charts={"section": section_alt(pack), "trend": trend_alt(pack)})


def cover(pack: PackData, kind: str) -> dict[str, Any]:
    """The cover, in the order a screen reader should read it."""
    c = pack.counts
    tiles = [{"rag": k, "word": RAG_WORDS[k], "n": getattr(c, k)} for k in ("red", "amber", "green", "blue", "none")
             if getattr(c, k) or k in ("red", "amber", "green")]
    return {"partnership": pack.partnership, "title": pack.title, "kind": kind,
            "meeting": f"For the {pack.meeting_title}, {pack.meeting_when}" if pack.meeting_title else "",
            "as_of": f"Position as at {long_date(pack.as_of)}", "tiles": tiles, "total": c.total,
            "facts": [["Actions in the plan", str(c.total)],
                      ["Decisions for the board", str(pack.decisions)],
                      ["Exceptions for the board", str(pack.exceptions.total - len(pack.exceptions.quarantined))],
                      [f"Due by {long_date(pack.next_period[1])}", str(len(pack.due_next))]],
            "note": f"Built by planwarden from the plan's recorded history up to "
                    f"{pack.cutoff.astimezone(dt.timezone.utc):%-d %B %Y, %H:%M} UTC. "
                    "Rebuilding this pack for the same date gives the same document."}


def counts_sentence(c: Counts) -> str:
    parts = [f"{c.red} red", f"{c.amber} amber", f"{c.green} green"]
    parts += [f"{c.blue} blue"] if c.blue else []
    parts += [f"{c.none} not rated"] if c.none else []
    return ", ".join(parts)


def section_alt(pack: PackData) -> str:
    rows = "; ".join(f"{s.label}: {counts_sentence(s.counts)}" for s in pack.sections) or "no sections"
    return f"Bar chart of actions by RAG rating in each section. {rows}."


def trend_alt(pack: PackData) -> str:
    rows = "; ".join(f"{long_date(d)}: {counts_sentence(c)}" for d, c in pack.trend)
    return f"Bar chart of the RAG position at previous month ends and at this pack. {rows}."


def summary(pack: PackData) -> Chapter:
    c, e, ch = pack.counts, pack.exceptions, pack.changes
    done = c.green + c.blue
    lines = [f"{done} of {c.total} actions are complete; {c.open} remain open."]
    if ch.since:
        lines.append(f"Since the previous pack ({long_date(ch.since)}): {len(ch.turned_green)} completed, "
                     f"{len(ch.turned_red)} turned red, {len(ch.newly_overdue)} became overdue, "
                     f"{len(ch.new_updates)} new progress updates.")
    else:
        lines.append("This is the first pack for this plan: there is no earlier position to compare with.")
    asked, done_now = len(e.requested_dates), len(pack.reported_complete)
    lines += [f"{pack.decisions} decision{_s(pack.decisions)} for the board: {asked} new due date{_s(asked)} "
              f"requested, {done_now} action{_s(done_now)} reported complete for sign-off.",
              f"{len(e.overdue)} overdue ({sum(1 for f in e.overdue if f.action.rag != 'red')} of them not rated red), "
              f"{len(e.red)} red, {len(e.stale)} with no update for {pack.stale_days} days.",
              f"{len(pack.due_next)} open actions are due by {long_date(pack.next_period[1])}."]
    heads = ["Section", "Red", "Amber", "Green"] + (["Blue"] if c.blue else []) + ["Not rated", "Total", "Travel"]
    rags = ["red", "amber", "green"] + (["blue"] if c.blue else []) + ["none"]

    def row(label: str, k: Counts, trend: str) -> list[Any]:
        return [label, *(str(getattr(k, r)) for r in rags), str(k.total), trend]

    rows = [row(s.label, s.counts, TRAVEL.get(ch.section_travel.get(s.number, ""), "—")) for s in pack.sections]
    widths = [62.0] + [16.0] * len(rags) + [14.0, 22.0]  # "Amber" in bold fits on one line in Word too
    blocks = [{"kind": "bullets", "items": lines}, heading(2, "RAG by section and direction of travel"),
              table(heads, rows or [["The plan has no actions yet."] + [""] * (len(heads) - 1)], widths,
                    foot=row("All sections", c, ""), header_rags=["", *rags]),
              para("Travel compares each section's ratings with the previous pack: better, the same or worse.",
                   "muted"),
              {"kind": "figure", "chart": "section", "caption":
               f"Figure 1. Actions by RAG rating in each section, {long_date(pack.as_of)}.", "width": 170}]
    return Chapter("summary", "Executive summary", blocks)


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def latest_words(f: Flagged, width: int = 320) -> str:
    """The owner's latest update, dated: what the board reads next to an exception."""
    u = f.update or f.action.last_update
    return f"{short_date(u.date)}: {cut(u.text, width)}" if u else "No update recorded."


def flagged_table(items: Sequence[Flagged], note: str, empty_text: str, words: bool = False) -> Block:
    if not items:
        return empty(empty_text)
    head = ["Ref", "Action", "Owner", "Due", "RAG"] + ([note] if note else []) + (["Latest from the owner"] if words else [])
    widths = [12.0, 50.0, 26.0, 18.0, 14.0] + ([22.0] if note else []) + ([40.0] if words else [])
    if not words:
        widths[1] += 40
    if not note:
        widths[1] += 22
    width = 320 if len(items) <= LONG_LIST else 140  # a long list: the words' opening, the rest in the plan
    rows = [[f.action.ref, cut(f.action.text, 260 if len(items) <= LONG_LIST else 160), f.action.owner_text,
             short_date(f.action.due), rag_cell(f.action.rag)]
            + ([f.note] if note else []) + ([latest_words(f, width)] if words else []) for f in items]
    return table(head, rows, widths)


def decisions(pack: PackData) -> Chapter:
    e = pack.exceptions
    blocks: list[Block] = [para("What the board is asked to decide at this meeting.", "lead"),
                           heading(2, "New due dates requested")]
    if e.requested_dates:
        blocks.append(table(["Ref", "Action", "Owner", "Due now", "Asked for", "Reason given"],
                            [[f.action.ref, cut(f.action.text, 220), f.action.owner_text, short_date(f.action.due),
                              short_date(f.update.requested_due if f.update else None),
                              f"{short_date(f.update.date)}: {cut(f.update.text, 300)}" if f.update else ""]
                             for f in e.requested_dates], [12, 50, 26, 18, 18, 56]))
    else:
        blocks.append(empty("No owner has asked for a new due date."))
    blocks.append(heading(2, "Reported complete: for sign-off"))
    blocks.append(flagged_table(pack.reported_complete, "Before", "No action has been reported complete since the "
                                "previous pack.", words=True))
    return Chapter("decisions", "Decisions for the board", blocks)


def changes(pack: PackData) -> Chapter:
    ch = pack.changes
    single = " (the plan's record starts this month)" if len(pack.trend) == 1 else ""
    blocks: list[Block] = [heading(2, "Trend"), {"kind": "figure", "chart": "trend", "width": 150, "caption":
                           f"Figure 2. RAG position at the end of previous months and at this pack{single}."}]
    if not ch.since:
        blocks.append(empty("This is the first pack for this plan: there is no earlier position to compare with."))
        return Chapter("changes", "Changes since the previous pack", blocks)
    blocks.append(para(f"Compared with the position at {long_date(ch.since)}.", "lead"))
    for title, items, note, none in (("Completed", ch.turned_green, "Before", "No action was completed."),
                                     ("Turned red", ch.turned_red, "Before", "No action turned red."),
                                     ("Newly overdue", ch.newly_overdue, "Due", "No action became overdue.")):
        blocks += [heading(2, title), flagged_table(items, note, none)]
    if ch.new_actions:
        blocks += [heading(2, "New actions"), flagged_table(ch.new_actions, "", "")]
    blocks.append(heading(2, "New progress updates"))
    if len(ch.new_updates) > LONG_LIST:
        blocks += [para(f"{len(ch.new_updates)} new progress updates, by section; each is in the full plan "
                        "under its action.", "lead"), updates_by_section(pack)]
    elif ch.new_updates:
        blocks.append(table(["Ref", "Date", "RAG given", "Update"],
                            [[f.action.ref, short_date(f.update.date), rag_cell(f.update.rag), cut(f.update.text, 600)]
                             for f in ch.new_updates if f.update], [12, 20, 18, 128]))
    else:
        blocks.append(empty("No new progress updates."))
    return Chapter("changes", "Changes since the previous pack", blocks)


def updates_by_section(pack: PackData) -> Block:
    """A long list of new updates as one row per section: how many, on which actions."""
    refs = {f.action.action_id: f.action.ref for f in pack.changes.new_updates}
    counts = {f.action.action_id: 0 for f in pack.changes.new_updates}
    for f in pack.changes.new_updates:
        counts[f.action.action_id] += 1
    rows = []
    for s in pack.sections:
        mine = [a.action_id for a in s.actions if a.action_id in refs]
        if mine:
            rows.append([s.label, str(sum(counts[i] for i in mine)), ", ".join(refs[i] for i in mine)])
    return table(["Section", "Updates", "Actions updated"], rows, [60, 18, 100])


def exceptions(pack: PackData) -> Chapter:
    e = pack.exceptions
    blocks: list[Block] = [
        heading(2, "Overdue"),
        para("Open actions past their due date. Those not rated red are flagged: their rating may need review.",
             "lead") if e.overdue else para(""),
        flagged_table(e.overdue, "Overdue by", "No open action is past its due date.", words=True),
        heading(2, "Red"), flagged_table(e.red, "", "No action is rated red.", words=True),
        heading(2, f"No update for {pack.stale_days} days")]
    grouped = e.stale_by_owner
    if grouped:
        blocks += [para(f"{len(e.stale)} open actions have had no update for {pack.stale_days} days. They are listed "
                        "by owner; each action's text and history is in the full plan.", "lead"),
                   table(["Owner", "Actions", "Refs", "Oldest last update"],
                         [[g.owner, str(len(g.refs)), ", ".join(g.refs), short_date(g.oldest) if g.oldest
                           else "never updated"] for g in grouped], [44, 16, 92, 28])]
    else:
        blocks.append(flagged_table(e.stale, "Last update", "Every open action has a recent update."))
    held = len(e.quarantined)
    blocks.append(para(f"{held} repl{'y' if held == 1 else 'ies'} from email held for the secretary to check "
                       "(details in the secretary's annex)." if held else "No replies are held for the secretary.",
                       "muted"))
    return Chapter("exceptions", "Exceptions", blocks, break_before=True)


def due_next(pack: PackData) -> Chapter:
    return Chapter("due-next", "Due in the next period", [
        para(f"Open actions due after {long_date(pack.next_period[0])} and by {long_date(pack.next_period[1])}.",
             "lead"),
        flagged_table(pack.due_next, "", "No open action falls due in this period.")])


def not_updated(pack: PackData) -> Chapter:
    lead = (f"Owners reminded about an open action at least {pack.not_updated_grace} working days before this pack "
            "who have not sent an update on it since.")
    if not pack.not_updated:
        return Chapter("not-updated", "Who has not updated",
                       [para(lead, "lead"), empty("Everyone reminded in time has replied.")])
    return Chapter("not-updated", "Who has not updated", [para(lead, "lead"), table(
        ["Owner", "Actions", "Reminded since", "Last reminded", "Days since"],
        [[n.name, ", ".join(n.refs), short_date(n.since), short_date(n.last_reminded), str(n.days)]
         for n in pack.not_updated], [50, 60, 26, 26, 18])])


def governance(pack: PackData) -> Chapter:
    if not pack.governance:
        return Chapter("governance", "Upcoming governance dates",
                       [empty("No meetings in the governance calendar in the next three months.")])
    return Chapter("governance", "Upcoming governance dates", [table(
        ["When", "Meeting", "Where"],
        [[g.when, g.title + (" (receives the pack)" if g.board else ""), g.location] for g in pack.governance],
        [50, 70, 60])])


def full_plan(pack: PackData) -> Chapter:
    blocks: list[Block] = []
    if not pack.sections:
        blocks.append(empty("The plan has no sections or actions yet."))
    for number, s in enumerate(pack.sections, start=1):
        blocks += section_blocks(pack, number, s)
    return Chapter("plan", "The full plan", blocks, break_before=True)


def section_blocks(pack: PackData, number: int, s: SectionBlock) -> list[Block]:
    trend = pack.changes.section_travel.get(s.number)
    blocks: list[Block] = [heading(2, s.label, f"section-{number}"),
                           para(f"{s.counts.total} actions: {counts_sentence(s.counts)}."
                                + (f" Since the previous pack: {trend}." if trend else ""), "muted")]
    if not s.areas:
        blocks.append(empty("This section has no areas or actions."))
    for block in s.areas:
        if block.info:
            blocks.append(heading(3, f"{block.info.number} {block.info.title}".strip()))
            blocks += findings(block.info)
        if block.actions:
            blocks.append({"kind": "actions", "widths": list(ACTION_WIDTHS),
                           "header": ["Ref", "Action", "Owner", "Due", "RAG", "Travel"],
                           "rows": [action_row(pack, a) for a in block.actions]})
    return blocks


def findings(info: AreaInfo) -> list[Block]:
    rows = [[label, text] for label, text in (("Priority action", info.priority_action),
                                             ("What needs to improve", info.what_needs_to_improve),
                                             ("What inspectors found", info.what_inspectors_found)) if text]
    return [{"kind": "findings", "rows": rows, "widths": [36, 142]}] if rows else []


def action_row(pack: PackData, a: ActionState) -> dict[str, Any]:
    due = short_date(a.due) + (f" ({a.due_text})" if a.due_text and not a.due else "")
    if a.milestones:
        due += "\nMilestones: " + ", ".join(a.milestones)
    updates = []
    for u in reversed(a.updates):
        meta = " · ".join(x for x in (long_date(u.date), rag_word(u.rag) if u.rag else "",
                                      "" if pack.public else u.author, u.source,
                                      f"asks for a new due date: {long_date(u.requested_due)}" if u.requested_due
                                      else "") if x)
        text = u.text or ""
        if len(text) > UPDATE_CUT:
            text = (text[:UPDATE_CUT].rsplit(" ", 1)[0] + f" … [cut here: {len(text):,} characters in all; "
                    "the full text is kept in the plan's history]")
        updates.append({"meta": meta, "text": text})
    n = len(updates)
    return {"ref": a.ref, "text": a.text, "owner": a.owner_text, "due": due, "rag": rag_cell(a.rag),
            "travel": TRAVEL.get(pack.changes.travel.get(a.action_id, ""), "—"),
            "progress": f"Progress ({n} update{'' if n == 1 else 's'})" if n else "No progress update recorded.",
            "updates": updates}


def key(pack: PackData) -> Chapter:
    rags = [r for r, _ in RAG_MEANING if r != "blue" or pack.counts.blue]
    meaning = dict(RAG_MEANING)
    return Chapter("key", "Appendix: RAG ratings", [
        table(["Rating", "Meaning"], [[rag_cell(None if r == "none" else r), meaning[r]] for r in rags], [24, 156]),
        para(f"An action is open unless it is complete. Overdue: open and past its due date on "
             f"{long_date(pack.as_of)}. Travel compares an action's rating with the previous pack. "
             f"Dates are in {pack.tz}.", "muted")])


# --------------------------------------------------------------------------- the secretary's annex


def secretary_annex(pack: PackData) -> Document:
    """Data quality, replies held, and who was reminded at which address: for the
    secretary only, never for the board or publication."""
    e = pack.exceptions
    notes = [f"{len(pack.no_due_date)} open actions without a due date"
             + (": " + ", ".join(a.ref for a in pack.no_due_date) if pack.no_due_date else "") + ".",
             f"{len(pack.unresolved_owners)} action owners not found in the directory (their reminders go to the "
             "secretary)" + (": " + "; ".join(f"{u.get('ref')} “{u.get('owner_text')}”" for u in pack.unresolved_owners)
                             if pack.unresolved_owners else "") + "."]
    held = (table(["Received", "From", "Subject", "Why it was held"],
                  [[short_date(q["received"].date()), q["sender"], q["subject"], q["reason"]] for q in e.quarantined],
                  [22, 56, 56, 46]) if e.quarantined else empty("No replies are waiting in quarantine."))
    people = (table(["Owner", "Address", "Actions", "Reminded since"],
                    [[n.name, n.email, ", ".join(n.refs), short_date(n.since)] for n in pack.not_updated],
                    [44, 60, 50, 26]) if pack.not_updated else empty("Nobody to chase."))
    chapters = [Chapter("data-quality", "1. Data-quality notes", [{"kind": "bullets", "items": notes}]),
                Chapter("held", "2. Replies held for the secretary", [held]),
                Chapter("chase", "3. Owners to chase, with addresses", [people])]
    return Document(
        title=f"{pack.title} — secretary's annex, {long_date(pack.as_of)}",
        header=f"{pack.title} — secretary's annex (not for the board or publication)",
        footer=f"Position as at {long_date(pack.as_of)}",
        cover={"partnership": pack.partnership, "title": pack.title, "kind": "Secretary's annex to the board pack",
               "meeting": "Not for the board papers or publication: it names addresses.",
               "as_of": f"Position as at {long_date(pack.as_of)}", "tiles": [], "total": None, "facts": [],
               "note": ""},
        chapters=chapters, author=pack.partnership or "planwarden", subject="Secretary's annex", moment=pack.cutoff)
