"""Benchmark: how fast the command line starts (targets: `--help` <= 0.2 s, commands that
run no flow <= 0.3 s; `actions --json` on the 77 actions of seed 000 fast).

    .venv/bin/python -m benchmarks.bench_cli [--runs N]

Each figure is the median of N fresh processes (what a person or a script pays per call),
after one warm-up run that migrates the database. Wall time depends on what else the
machine is doing, so the CPU time of the process (user + system) and the load average
are printed beside it: on a loaded machine compare the CPU column with the target.
The read-only commands take the fast path (planwarden/cli/fast.py: no Typer, rich,
pydantic or SQLAlchemy) once the warm-up has validated the settings and kept status's
facts. With a PostgreSQL server reachable (as the tests find it: 127.0.0.1:5432, or
PLANWARDEN_TEST_POSTGRES_URL) the same commands are measured on it too, in a schema of
their own: there the fast path reads through psycopg, whose import alone is ~0.2 s here.
The "full path" rows run `actions --json --plan=jtai`, a form the fast path leaves to
Typer and SQLAlchemy, for comparison.
Below the commands, the CPU of bare imports on the same interpreter (Python alone, Typer,
SQLAlchemy Core, its ORM, pydantic, rich): what no planwarden change can take away, to
read the commands' figures against (docs/cli.md "Start-up time").

Bytecode: an installed package has its modules compiled (pip writes the .pyc files); a
checkout writes them on first run, unless PYTHONDONTWRITEBYTECODE is set, as it is in this
machine's sessions, when every run compiles planwarden's own modules again (~0.1 s more
for `--help`). The processes here therefore keep their bytecode in a cache folder of their
own (PYTHONPYCACHEPREFIX, so nothing is written into the checkout), filled by one warm-up
run of each command; `--as-is` measures with the caller's environment unchanged instead.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "config" / "examples" / "jtai"
SEED = EXAMPLE / "plan" / "000_3a816ad8139d38e0.txt"
SCRIPT = Path(sys.executable).parent / "planwarden"  # the installed entry point, as people run it
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "planwarden.cli"]
CASES: list[tuple[str, list[str], float]] = [
    ("planwarden --help", ["--help"], 0.2),
    ("planwarden actions --help", ["actions", "--help"], 0.2),
    ("planwarden status --json", ["status", "--json"], 0.3),
    ("planwarden requests --json", ["requests", "--json"], 0.3),
    ("planwarden actions --json (77 actions)", ["actions", "--json"], 0.3),
    ("planwarden actions (77 actions, table)", ["actions"], 0.3),
]

# What the libraries cost on their own (a fresh interpreter each, same venv), leaving with
# os._exit as the console script does (planwarden.cli.run), so no teardown is counted.
IMPORTS: list[tuple[str, str]] = [
    ("python (nothing imported)", "pass"),
    ("import typer", "import typer"),
    ("import sqlalchemy (Core)", "import sqlalchemy"),
    ("import sqlalchemy.orm", "import sqlalchemy.orm"),
    ("import pydantic", "import pydantic"),
    ("import rich.table", "import rich.console, rich.table"),
    ("import sqlite3", "import sqlite3"),
    ("import psycopg", "import psycopg"),
]
# The full path, for comparison: `--plan=KEY` is a form the fast path leaves to it.
FULL_CASES: list[tuple[str, list[str], float]] = [
    ("full path: planwarden actions --json --plan=jtai", ["actions", "--json", "--plan=jtai"], 0.3)]
PG_CASES = [case for case in CASES if case[1] in (["status", "--json"], ["actions", "--json"], ["actions"])]
PG_URL = os.environ.get("PLANWARDEN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test").replace(
    "postgresql+psycopg://", "postgresql://")


def _cpu(command: list[str], env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall and CPU seconds of one fresh process, and what it printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out


def planwarden(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one `planwarden ARGS` in a fresh process."""
    wall, cpu, out = _cpu([*COMMAND, *args], env)
    if out.returncode != 0:
        raise SystemExit(f"planwarden {' '.join(args)} failed: {out.stderr.strip()}")
    return wall, cpu


def _cases(cases: list[tuple[str, list[str], float]], env: dict[str, str], runs: int,
           suffix: str = "") -> list[dict[str, Any]]:
    """Import seed 000, warm up each command, then the median of ``runs`` of each."""
    planwarden(["import", str(SEED), "--plan", "jtai", "--json"], env)  # migrates, then imports
    for _label, args, _target in cases:  # warm-up: bytecode written, settings validated, status facts kept
        planwarden(args, env)
    results = []
    for label, args, target in cases:
        samples = [planwarden(args, env) for _ in range(runs)]
        wall = statistics.median(s[0] for s in samples)
        cpu = statistics.median(s[1] for s in samples)
        results.append({"what": label + suffix, "target_s": target, "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
                        "met": cpu <= target})
    return results


def _postgres(env: dict[str, str], runs: int) -> list[dict[str, Any]]:
    """The read-only commands on PostgreSQL, in a schema of their own (none if no server)."""
    try:
        import psycopg
        with psycopg.connect(PG_URL, connect_timeout=3, autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS bench_cli CASCADE")
            conn.execute("CREATE SCHEMA bench_cli")
    except Exception as exc:  # noqa: BLE001 - no server: nothing to measure, say so
        print(f"(PostgreSQL not measured: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__})",
              file=sys.stderr)
        return []
    try:
        pg_env = {**env, "PLANWARDEN_DATABASE_URL": f"{PG_URL}?options=-csearch_path%3Dbench_cli"}
        return _cases(PG_CASES + FULL_CASES, pg_env, runs, " [PostgreSQL]")
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute("DROP SCHEMA bench_cli CASCADE")


def measure(runs: int, as_is: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PLANWARDEN_CONFIG": str(EXAMPLE / "planwarden.toml"),
               "PLANWARDEN_DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.sqlite'}",
               "PLANWARDEN_HOME": tmp, "XDG_CACHE_HOME": str(Path(tmp) / "cache")}
        if not as_is:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        results = _cases(CASES + FULL_CASES, env, runs) + _postgres(env, runs)
        imports = []
        for label, code in IMPORTS:
            command = [sys.executable, "-c", f"{code}; import os; os._exit(0)"]
            _cpu(command, env)  # warm-up: their bytecode too
            cpu = statistics.median(_cpu(command, env)[1] for _ in range(runs))
            imports.append({"what": label, "cpu_s": round(cpu, 3)})
    return {"runs": runs, "load_average": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count(),
            "bytecode": "as the caller's environment has it" if as_is else "cached (PYTHONPYCACHEPREFIX)",
            "results": results, "imports": imports}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per command (median reported)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--as-is", action="store_true",
                        help="keep the caller's bytecode settings (PYTHONDONTWRITEBYTECODE) instead of a cache")
    args = parser.parse_args()
    report = measure(args.runs, args.as_is)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"median of {report['runs']} runs; load average {report['load_average']} on {report['cpus']} CPUs; "
          f"bytecode {report['bytecode']}")
    print(f"{'command':<62} {'target':>7} {'wall':>7} {'cpu':>7}")
    for r in report["results"]:
        verdict = "(for comparison)" if r["what"].startswith("full path") else "met" if r["met"] else "NOT met"
        print(f"{r['what']:<62} {r['target_s']:>6.2f}s {r['wall_s']:>6.3f}s {r['cpu_s']:>6.3f}s  {verdict}")
    print("\nwhat the libraries cost alone (CPU, fresh interpreter, no teardown)")
    for r in report["imports"]:
        print(f"{r['what']:<62} {'':>7} {'':>7} {r['cpu_s']:>6.3f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
