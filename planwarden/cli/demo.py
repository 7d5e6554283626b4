"""planwarden demo [--dir DIR]"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from planwarden.cli.common import UserError


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(folder: Annotated[Path, typer.Option("--dir", help="The workspace (default ./planwarden-demo).")]
         = Path("planwarden-demo")) -> None:
    """Run the whole loop on embedded defaults in a fresh folder."""
    from planwarden.cli.common import progress
    from planwarden.orchestration.demo import DemoError, run_demo

    try:
        with progress("Running the demo") as _:
            run_demo(folder.resolve(), say=lambda line: print(line, flush=True))
    except DemoError as exc:
        raise UserError(str(exc)) from None
