"""planwarden serve [--port N] [--limit N]"""

from __future__ import annotations

import argparse
from typing import Any

from planwarden.cli.common import UserError, add_json, command, load, print_json


def register(sub: Any) -> None:
    p = command(sub, "serve", handle, "run every flow on its schedule (starts a local Prefect server "
                                      "unless PREFECT_API_URL is set)")
    p.add_argument("--port", type=int, default=4200, help="port of the local Prefect server (default 4200)")
    p.add_argument("--limit", type=int, default=4, help="flow runs at once (default 4)")
    p.add_argument("--list", action="store_true", help="print the deployments and their schedules, then exit")
    add_json(p)


def handle(args: argparse.Namespace) -> int:
    from planwarden.core.log import setup_logging
    from planwarden.orchestration.service import ServiceError, deployment_specs, serve

    config = load()
    if args.list:
        specs = [{"name": s["name"], "cron": s["cron"], "timezone": s["timezone"], "plan": s["plan"].key,
                  "flow": f"{s['job'].module}:{s['job'].flow}"} for s in deployment_specs(config)]
        if args.json:
            print_json(specs)
        else:
            for s in specs:
                print(f"{s['name']:<24} {s['cron']:<14} {s['timezone']:<16} {s['flow']}")
        return 0
    setup_logging("INFO")
    try:
        serve(config, port=args.port, limit=args.limit)
    except ServiceError as exc:
        raise UserError(str(exc)) from None
    return 0
