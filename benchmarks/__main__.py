"""Run every benchmark (or those named), each in a process of its own, and print the results.

Each module ``benchmarks/bench_*.py`` is runnable on its own (``python -m
benchmarks.bench_remind``). A separate process per benchmark keeps peak-memory figures
and environment settings from leaking between them. Figures are reported in
docs/benchmarks.md, never asserted in tests.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path


def main(names: list[str]) -> int:
    here = Path(__file__).parent
    found = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    chosen = [n for n in found if not names or n.removeprefix("bench_") in names or n in names]
    failed = 0
    for name in chosen:
        print(f"== {name}", flush=True)
        failed += subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], cwd=here.parent).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
