"""`planwarden --help` is what Typer prints, kept for the next time: the second run
prints the same text without importing Typer, and a different terminal width is worked
out again (Typer wraps to it). Real console script, real cache folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PLANWARDEN = Path(sys.executable).with_name("planwarden")
PROBE = ("import sys; from planwarden.cli import _help; code = _help(['--help']); "
         "print('TYPER-LOADED' if 'typer' in sys.modules else 'TYPER-NOT-LOADED', code)")


def run(cache: Path, *args: str, columns: int = 100) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "COLUMNS": str(columns)}
    return subprocess.run(list(args), capture_output=True, text=True, env=env, check=True)


def test_help_is_typers_text_kept_for_the_next_run(tmp_path: Path) -> None:
    first = run(tmp_path, str(PLANWARDEN), "--help")
    assert first.stdout.startswith("Usage: planwarden [OPTIONS] COMMAND") and "remind" in first.stdout
    kept = list((tmp_path / "planwarden").glob("help-*.txt"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == first.stdout

    second = run(tmp_path, sys.executable, "-c", PROBE)
    assert second.stdout.startswith(first.stdout)  # the same text ...
    assert second.stdout.endswith("TYPER-NOT-LOADED 0\n")  # ... without Typer

    narrow = run(tmp_path, str(PLANWARDEN), "--help", columns=60)  # another width: Typer again, kept apart
    assert narrow.stdout != first.stdout and max(len(line) for line in narrow.stdout.splitlines()) <= 60
    assert len(list((tmp_path / "planwarden").glob("help-*.txt"))) == 2


def test_other_help_forms_are_typers_own(tmp_path: Path) -> None:
    probe = PROBE.replace("['--help']", "['actions', '--help']")
    out = run(tmp_path, sys.executable, "-c", probe)
    assert out.stdout.strip() == "TYPER-NOT-LOADED None"  # not answered here: the full path runs
    assert not (tmp_path / "planwarden").exists()
