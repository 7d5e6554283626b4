"""`planwarden demo`: the loop on embedded defaults (SQLite, outbox transport, jtai example).

It builds a fresh workspace in a folder and walks through the steps a partnership
would see, printing progress and where to look. Each step is a small function so
later features add theirs to ``STEPS``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from planwarden.config import Config, load_config

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "config" / "examples" / "jtai"
SEED = EXAMPLE / "plan" / "000_3a816ad8139d38e0.txt"
MARKER = ".planwarden-demo"
PLAN = "jtai"


class DemoError(Exception):
    pass


@dataclass
class DemoContext:
    folder: Path
    config: Config
    say: Callable[[str], None]
    results: dict[str, object] = field(default_factory=dict)
    look_at: list[tuple[str, Path]] = field(default_factory=list)


def prepare(folder: Path) -> None:
    """A fresh workspace: only ever wipes a folder an earlier demo made."""
    if folder.exists() and any(folder.iterdir()):
        if not (folder / MARKER).exists():
            raise DemoError(f"{folder} is not empty and was not made by `planwarden demo`; choose another --dir")
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text("made by planwarden demo; safe to delete\n")
    os.environ["PLANWARDEN_CONFIG"] = str(EXAMPLE / "planwarden.toml")
    os.environ["PLANWARDEN_HOME"] = str(folder / "data")
    os.environ.pop("PLANWARDEN_DATABASE_URL", None)  # embedded defaults: SQLite in the folder


def step_import(ctx: DemoContext) -> None:
    from planwarden.db import session_scope
    from planwarden.importing import import_file

    with session_scope(ctx.config.database_url) as session:
        summary = import_file(session, ctx.config, SEED, PLAN)
    ctx.say(f"imported seed 000: {summary.created} actions, {len(summary.warnings)} warnings")
    ctx.results["import"] = summary.as_json()


def step_show(ctx: DemoContext) -> None:
    from planwarden.db import session_scope
    from planwarden.export import export_plan
    from planwarden.queries import actions_json

    with session_scope(ctx.config.database_url) as session:
        rows = actions_json(session, PLAN)
        out = ctx.folder / "jtai-plan.xlsx"
        export_plan(session, PLAN, out)
    counts = {rag: sum(1 for r in rows if r["rag"] == rag) for rag in ("green", "amber", "red", None)}
    ctx.say(f"plan {PLAN!r}: {len(rows)} actions — {counts['green']} green, {counts['amber']} amber, "
            f"{counts['red']} red, {counts[None]} unrated")
    ctx.look_at.append(("the plan as a spreadsheet", out))


STEPS: list[tuple[str, Callable[[DemoContext], None]]] = [
    ("Import the JTAI plan (seed 000)", step_import),
    ("Show the plan", step_show),
]


def run_demo(folder: Path, say: Callable[[str], None] = print) -> DemoContext:
    if not SEED.exists():
        raise DemoError(f"the example plan is missing: {SEED}")
    prepare(folder)
    ctx = DemoContext(folder, load_config(), say)
    say(f"planwarden demo in {folder} (SQLite, outbox transport, config/examples/jtai)")
    for number, (title, step) in enumerate(STEPS, start=1):
        say(f"[{number}/{len(STEPS)}] {title}")
        step(ctx)
    say("\nLook at:")
    for what, path in ctx.look_at:
        say(f"  {what}: {path}")
    return ctx
