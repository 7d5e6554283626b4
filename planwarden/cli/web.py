"""planwarden web [--host H] [--port 8470]: the secretary's console."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from planwarden.cli.common import UserError, command, load


def register(sub: Any) -> None:
    p = command(sub, "web", handle, "serve the secretary's console (log in at /login; accounts: planwarden users add)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8470, help="port (default 8470)")
    p.add_argument("--demo", type=Path, default=None, metavar="DIR",
                   help="serve the data of `planwarden demo --dir DIR` (as on 4 January 2023), with a demo account")


def handle(args: argparse.Namespace) -> int:
    from planwarden.core.log import setup_logging
    from planwarden.web.server import run

    if args.demo is not None:
        from planwarden.web.server import DemoFolderError, prepare_demo
        try:
            email, password = prepare_demo(args.demo)
        except DemoFolderError as exc:
            raise UserError(str(exc)) from None
        print(f"Console on the demo's data: http://{args.host}:{args.port}/login\n"
              f"  email: {email}\n  password: {password}   (a new one each start)", flush=True)
    setup_logging("INFO")
    run(load(), host=args.host, port=args.port)
    return 0
