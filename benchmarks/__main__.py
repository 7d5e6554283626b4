"""Run every benchmark (or those named) and print one result line each.

Each module ``benchmarks/bench_*.py`` has ``main() -> dict``; figures are reported in
the docs, never asserted in tests.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path


def main(names: list[str]) -> int:
    here = Path(__file__).parent
    found = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    chosen = [n for n in found if not names or n.removeprefix("bench_") in names or n in names]
    results = {}
    for name in chosen:
        print(f"== {name}", flush=True)
        results[name] = importlib.import_module(f"benchmarks.{name}").main()
    print(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
