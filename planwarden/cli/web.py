"""planwarden web [--host H] [--port 8470] [--demo DIR]: the secretary's console."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from planwarden.cli.common import UserError, load


def register(app: typer.Typer) -> None:
    app.command("web")(web)


def web(host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option("--port", help="Port.")] = 8470,
        demo: Annotated[Path | None, typer.Option(
            "--demo", metavar="DIR",
            help="Serve the data of `planwarden demo --dir DIR` (as on 4 January 2023), with a demo account.")]
        = None) -> None:
    """Serve the secretary's console (log in at /login; accounts: planwarden users add)."""
    from planwarden.core.log import setup_logging
    from planwarden.web.server import run

    if demo is not None:
        from planwarden.web.server import DemoFolderError, prepare_demo
        try:
            email, password = prepare_demo(demo)
        except DemoFolderError as exc:
            raise UserError(str(exc)) from None
        print(f"Console on the demo's data: http://{host}:{port}/login\n"
              f"  email: {email}\n  password: {password}   (a new one each start)", flush=True)
    setup_logging("INFO")
    run(load(), host=host, port=port)
