"""planwarden demo [--dir DIR]"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from planwarden.cli.common import UserError, command


def register(sub: Any) -> None:
    p = command(sub, "demo", handle, "run the whole loop on embedded defaults in a fresh folder")
    p.add_argument("--dir", type=Path, default=Path("planwarden-demo"), help="workspace (default ./planwarden-demo)")


def handle(args: argparse.Namespace) -> int:
    from planwarden.orchestration.demo import DemoError, run_demo

    try:
        run_demo(args.dir.resolve(), say=lambda line: print(line, flush=True))
    except DemoError as exc:
        raise UserError(str(exc)) from None
    return 0
