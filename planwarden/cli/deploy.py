"""planwarden deploy [--pool NAME] [--root DIR] [--json]"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from planwarden.cli.common import UserError, add_json, command, load, print_json


def register(sub: Any) -> None:
    p = command(sub, "deploy", handle, "register every plan's deployments, concurrency limits and a process "
                                       "work pool with the Prefect server in PREFECT_API_URL")
    p.add_argument("--pool", default="planwarden", help="work pool name (default planwarden)")
    p.add_argument("--root", type=Path, default=None,
                   help="the planwarden checkout on the workers' machines (default: this one)")
    add_json(p)


def handle(args: argparse.Namespace) -> int:
    from planwarden.orchestration.deploy import register as register_all

    if not os.environ.get("PREFECT_API_URL"):
        raise UserError("PREFECT_API_URL is not set: point it at the Prefect server the workers use "
                        "(for one machine, `planwarden serve` needs no deploy step)")
    done = register_all(load(), work_pool=args.pool, root=args.root)
    if args.json:
        print_json({"work_pool": done.work_pool, "deployments": done.deployments, "limits": done.limits})
    else:
        print(f"work pool {done.work_pool}: {len(done.deployments)} deployments, "
              f"{len(done.limits)} plan concurrency limits")
        for name in done.deployments:
            print(f"  {name}")
    return 0
