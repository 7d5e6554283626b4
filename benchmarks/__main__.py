"""Run every benchmark (or those named), each in a process of its own; print the results
and write them into docs/benchmarks.md, the one place figures are kept.

Each module ``benchmarks/bench_*.py`` is runnable on its own (``python -m
benchmarks.bench_remind``). A separate process per benchmark keeps peak-memory figures
and environment settings from leaking between them. Other ``--flags`` are passed to
the benchmarks (``python -m benchmarks pack --no-engines``). A benchmark's output replaces its
section of docs/benchmarks.md (between ``<!-- figures:NAME -->`` and
``<!-- /figures:NAME -->``), stamped with the date, the CPUs and the load average, since
other work on the machine changes wall times. ``--no-record`` only prints. Figures are
never asserted in tests.
"""

from __future__ import annotations

import datetime as dt
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
DOC = HERE.parent / "docs" / "benchmarks.md"


def run(name: str, flags: list[str] | None = None) -> tuple[int, str]:
    """Run one benchmark, echoing its output as it comes; return its exit code and output.
    ``flags`` go to the benchmark (e.g. ``pack --no-engines`` skips the slow comparison)."""
    proc = subprocess.Popen([sys.executable, "-m", f"benchmarks.{name}", *(flags or [])], cwd=HERE.parent,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    return proc.wait(), "".join(lines)


def section(name: str, output: str, load: tuple[float, float, float], flags: list[str] | None = None) -> str:
    when = dt.datetime.now(dt.timezone.utc).strftime("%d %b %Y %H:%M UTC")
    return (f"<!-- figures:{name} -->\n"
            f"Measured {when} by `python -m benchmarks {' '.join([name.removeprefix('bench_'), *(flags or [])])}` on "
            f"{os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the start "
            "(generated: do not edit by hand):\n\n"
            f"```text\n{output.rstrip()}\n```\n"
            f"<!-- /figures:{name} -->")


def record(name: str, output: str, load: tuple[float, float, float], doc: Path = DOC,
           flags: list[str] | None = None) -> None:
    """Replace the benchmark's section of the document (or add one at the end)."""
    text = doc.read_text(encoding="utf-8")
    block = section(name, output, load, flags)
    pattern = re.compile(rf"<!-- figures:{name} -->.*?<!-- /figures:{name} -->", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    else:
        text = text.rstrip() + f"\n\n### {name}\n\n{block}\n"
    doc.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    names = [a for a in argv if not a.startswith("--")]
    keep = "--no-record" not in argv
    flags = [a for a in argv if a.startswith("--") and a != "--no-record"]
    found = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))
    chosen = [n for n in found if not names or n.removeprefix("bench_") in names or n in names]
    failed = 0
    for name in chosen:
        print(f"== {name}", flush=True)
        load = os.getloadavg()
        code, output = run(name, flags)
        failed += code != 0
        if code == 0 and keep:
            record(name, output, load, flags=flags)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
