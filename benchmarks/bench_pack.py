"""Board pack build time and memory: seed 000 (77 actions) and a synthetic 2,000-action plan.

Targets: seed 000's pack (PDF and DOCX) in at most 2 s; 2,000 actions in at most 15 s
and 1 GB. Each figure is the whole build (history replay, compute, charts, PDF, DOCX,
the secretary's annex, hashing, storing). Memory is the peak of the whole process
tree. Run with ``.venv/bin/python -m benchmarks.bench_pack``.

Then the PDF engines side by side on the same computed 2,000-action pack, each in a
fresh process of its own (one after another, in this one run, so they share the
machine's load): Typst (tagged, PDF/UA-1) as the pack uses it (a big pack in pieces,
joined: pack/volumes.py, pdfjoin.py) and as one document, WeasyPrint as the pack used it
before Typst (parts in two workers joined with pikepdf, untagged), and WeasyPrint tagged
(``pdf_variant="pdf/ua-1"``: one document). ``--no-engines`` skips the comparison
(WeasyPrint's take up to 30 minutes); ``--typst-only`` compares only Typst's two ways.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import re
import resource
import subprocess
import sys
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
    kept = _rss_mb()  # what the process still holds after the build (Typst's caches end with its child)
    return {"seconds": round(seconds, 2), "actions": built.data.counts.total, "pdf_kb": built.pdf.stat().st_size // 1024,
            "docx_kb": built.docx.stat().st_size // 1024, "pages": pages, "peak_tree_mb": peak.mb,
            "rss_after_mb": kept, "cpus": os.cpu_count()}


def _rss_mb() -> int:
    """This process's resident memory now (Linux), in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS:"))


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


def bench_synthetic(actions: int = 2000, engines_file: Path | None = None) -> dict[str, Any]:
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
        result = _timed_build("synthetic", dt.date(2023, 2, 28))
        if engines_file is not None:
            _save_data("synthetic", dt.date(2023, 2, 28), engines_file)
        return result
    finally:
        clock.set_clock(previous)


def _save_data(plan_key: str, as_of: dt.date, path: Path) -> None:
    """The computed pack, for the engines to lay out in processes of their own."""
    from planwarden.core.config import load_config
    from planwarden.core.db import session_scope
    from planwarden.pack.build import prepare, request_for

    config = load_config()
    with session_scope(config.database_url) as session:
        path.write_bytes(pickle.dumps(prepare(session, config, request_for(session, config, plan_key, as_of))))


ENGINES = ("typst-tagged", "typst-tagged-one-document", "weasyprint-parts-untagged", "weasyprint-tagged")
ENGINE_TIMEOUT = 900  # seconds: an engine slower than this is reported as such


def lay_out(engine: str, data: Any) -> bytes:
    """The board pack's PDF by one engine (charts included)."""
    if engine.startswith("typst-tagged"):  # as the pack does it (a big pack in pieces), or as one document
        from planwarden.pack.document import board_pack
        from planwarden.pack.typeset import chart_svgs, drawn, typeset

        whole = 10**12 if engine == "typst-tagged-one-document" else None
        return typeset(board_pack(data), chart_svgs(drawn(data)), budget=whole)
    if engine == "weasyprint-parts-untagged":
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from benchmarks.weasyprint_pack.render import render_pdf

        with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
            return render_pdf(data, pool)
    from weasyprint import HTML

    from benchmarks.weasyprint_pack.pdf import TEMPLATES, source_date
    from benchmarks.weasyprint_pack.render import render_html

    with source_date(data.cutoff):
        return HTML(string=render_html(data), base_url=str(TEMPLATES / "pack")).write_pdf(
            pdf_variant="pdf/ua-1", pdf_tags=True, pdf_identifier=False)


def engine_run(engine: str, data_file: Path, out: Path) -> dict[str, Any]:
    """One engine, timed, in this (fresh) process."""
    data = pickle.loads(data_file.read_bytes())
    with PeakTreeMemory() as peak:
        start = time.perf_counter()
        out.write_bytes(lay_out(engine, data))
        seconds = time.perf_counter() - start
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).stdout
    tagged = re.search(r"^Tagged:\s+(\w+)", info, re.M)
    return {"engine": engine, "seconds": round(seconds, 2), "peak_tree_mb": peak.mb, "pages": _pages(out),
            "tagged": tagged.group(1) if tagged else None, "pdf_kb": out.stat().st_size // 1024}


def compare_engines(data_file: Path, engines: tuple[str, ...] = ENGINES) -> list[dict[str, Any]]:
    results = []
    for engine in engines:
        out = data_file.with_name(f"{engine}.pdf")
        try:
            done = subprocess.run([sys.executable, "-m", "benchmarks.bench_pack", "--engine", engine, str(data_file),
                                   str(out)], capture_output=True, text=True, timeout=ENGINE_TIMEOUT,
                                  cwd=REPO, check=True)
            result = json.loads(done.stdout.strip().splitlines()[-1])
        except subprocess.TimeoutExpired:
            result = {"engine": engine, "seconds": f"> {ENGINE_TIMEOUT}", "note": "stopped"}
        except subprocess.CalledProcessError as exc:
            result = {"engine": engine, "error": (exc.stderr or "").strip().splitlines()[-1:]}
        print(f"engine {engine}: {result}", flush=True)
        results.append(result)
    return results


def main(engines: bool = True, typst_only: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="planwarden-bench-pack-") as tmp:
        _setup_env(Path(tmp))
        seed = bench_seed(Path(tmp))
        print(f"seed 000: {seed}", flush=True)
        data_file = Path(tmp) / "synthetic.pickle"
        big = bench_synthetic(engines_file=data_file if engines else None)
        big["peak_rss_mb_this_process"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(f"synthetic 2,000 actions: {big}", flush=True)
        chosen = tuple(e for e in ENGINES if e.startswith("typst")) if typst_only else ENGINES
        compared = compare_engines(data_file, chosen) if engines else []
    return {"seed_000": seed, "synthetic_2000": big, "engines": compared,
            "targets": {"seed_000_seconds": 2, "synthetic_seconds": 15, "synthetic_peak_mb": 1024}}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--engine"]:
        print(json.dumps(engine_run(sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]))))
    else:
        main(engines="--no-engines" not in sys.argv, typst_only="--typst-only" in sys.argv)
