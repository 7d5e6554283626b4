"""Board pack build time and memory: seed 000 (77 actions) and a synthetic 2,000-action plan.

Targets: seed 000's pack (PDF and DOCX) in at most 5 s; 2,000 actions in at most 60 s
and 1 GB. Each figure is the whole build (history replay, compute, charts, HTML, PDF,
DOCX, hashing, storing). Memory is the peak of the whole process tree: a big plan's
pack is laid out in worker processes, and their memory counts. Run with
``.venv/bin/python -m benchmarks.bench_pack``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.memory import PeakTreeMemory

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "config" / "examples" / "jtai"
SEED = EXAMPLE / "plan" / "000_3a816ad8139d38e0.txt"
WORDS = ("partnership practice children young people exploitation audit review safeguarding training "
         "strategy meeting referral police health education evidence impact outcomes voice").split()


def synthetic_plan(actions: int, *, update_date: dt.date, seed: int = 7, rag_shift: int = 0) -> Any:
    """A plan of ``actions`` actions in 10 sections of 5 areas, with realistic text lengths."""
    import random

    from planwarden.importing.parsed import ParsedAction, ParsedArea, ParsedPlan, ParsedSection

    rnd = random.Random(seed)

    def text(n: int) -> str:
        return " ".join(rnd.choice(WORDS) for _ in range(n)).capitalize() + "."

    sections = [ParsedSection(str(s), f"Section {s}: {text(4)}",
                              [ParsedArea(f"{s}.{a}", text(5), priority_action=text(30), what_needs_to_improve=text(20),
                                          what_inspectors_found=text(60)) for a in range(1, 6)])
                for s in range(1, 11)]
    rags = ("green", "amber", "amber", "red", None)
    items = []
    for i in range(actions):
        s, a = i % 10 + 1, (i // 10) % 5 + 1
        due = update_date + dt.timedelta(days=rnd.randint(-60, 240))
        items.append(ParsedAction(f"{s}.{a}{_suffix(i // 50)}", text(rnd.randint(15, 45)), f"Owner {i % 37}",
                                  f"{due:%-d %B %Y}", due, [], rags[(i + rag_shift) % 5],
                                  text(rnd.randint(20, 90)), str(s), f"{s}.{a}"))
    return ParsedPlan("Synthetic plan", update_date, sections, items)


def _suffix(n: int) -> str:
    letters = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(97 + r) + letters
    return letters


def _setup_env(home: Path) -> None:
    os.environ["PLANWARDEN_CONFIG"] = str(EXAMPLE / "planwarden.toml")
    os.environ["PLANWARDEN_HOME"] = str(home)
    os.environ["PLANWARDEN_DATABASE_URL"] = f"sqlite:///{home / 'bench.db'}"


def _timed_build(plan_key: str, as_of: dt.date) -> dict[str, Any]:
    from planwarden.core.config import load_config
    from planwarden.core.db import session_scope
    from planwarden.pack.build import build, request_for

    config = load_config()
    with PeakTreeMemory() as peak:
        start = time.perf_counter()
        with session_scope(config.database_url) as session:
            built = build(session, config, request_for(session, config, plan_key, as_of))
        seconds = time.perf_counter() - start
    pages = _pages(built.pdf)
    return {"seconds": round(seconds, 2), "actions": built.data.counts.total, "pdf_kb": built.pdf.stat().st_size // 1024,
            "docx_kb": built.docx.stat().st_size // 1024, "pages": pages, "peak_tree_mb": peak.mb,
            "cpus": os.cpu_count()}


def _pages(pdf: Path) -> int | None:
    """Page count from pdfinfo (poppler), when it is installed."""
    import subprocess

    try:
        out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    found = re.search(r"^Pages:\s+(\d+)", out, re.M)
    return int(found.group(1)) if found else None


def bench_seed(home: Path) -> dict[str, Any]:
    from planwarden.core.config import load_config
    from planwarden.core.db import session_scope
    from planwarden.importing import import_file

    config = load_config()
    with session_scope(config.database_url) as session:
        import_file(session, config, SEED, "jtai")
    _timed_build("jtai", dt.date(2022, 12, 31))  # warm: fonts, templates, matplotlib
    return _timed_build("jtai", dt.date(2022, 12, 30))


def bench_synthetic(actions: int = 2000) -> dict[str, Any]:
    from planwarden.core import clock
    from planwarden.core.clock import FixedClock
    from planwarden.core.config import load_config
    from planwarden.core.db import session_scope
    from planwarden.plan.directory import Directory
    from planwarden.importing.writer import PlanWriter

    config = load_config()
    previous = clock.set_clock(FixedClock(dt.datetime(2023, 1, 10, 9, tzinfo=dt.timezone.utc)))
    try:
        for shift, day in ((0, dt.date(2023, 1, 10)), (1, dt.date(2023, 2, 10))):
            clock.set_clock(FixedClock(dt.datetime.combine(day, dt.time(9), dt.timezone.utc)))
            with session_scope(config.database_url) as session:
                PlanWriter(session, config.plan("synthetic"), Directory(config.directory), actor="bench",
                           source="manual", source_ref="bench").write(
                    synthetic_plan(actions, update_date=day, rag_shift=shift))
        clock.set_clock(FixedClock(dt.datetime(2023, 3, 1, 9, tzinfo=dt.timezone.utc)))
        return _timed_build("synthetic", dt.date(2023, 2, 28))
    finally:
        clock.set_clock(previous)


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="planwarden-bench-pack-") as tmp:
        _setup_env(Path(tmp))
        seed = bench_seed(Path(tmp))
        print(f"seed 000: {seed}", flush=True)
        big = bench_synthetic()
        big["peak_rss_mb_this_process"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(f"synthetic 2,000 actions: {big}", flush=True)
    return {"seed_000": seed, "synthetic_2000": big,
            "targets": {"seed_000_seconds": 5, "synthetic_seconds": 60, "synthetic_peak_mb": 1024}}


if __name__ == "__main__":
    main()
