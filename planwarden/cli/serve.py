"""planwarden serve [--port N] [--limit N] [--list] [--json]"""

from __future__ import annotations

from typing import Annotated

import typer

from planwarden.cli.common import Json, UserError, load, print_json


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(port: Annotated[int, typer.Option("--port", help="Port of the local Prefect server.")] = 4200,
          limit: Annotated[int, typer.Option("--limit", help="Flow runs at once.")] = 4,
          list_: Annotated[bool, typer.Option(
              "--list", help="Print the deployments and their schedules, then exit.")] = False,
          no_web: Annotated[bool, typer.Option("--no-web", help="Do not serve the console.")] = False,
          web_host: Annotated[str, typer.Option("--web-host", help="The console's address.")] = "127.0.0.1",
          web_port: Annotated[int, typer.Option("--web-port", help="The console's port.")] = 8470,
          json: Json = False) -> None:
    """Run every flow on its schedule, and the console (starts a local Prefect server unless PREFECT_API_URL is set)."""
    from planwarden.core.log import setup_logging
    from planwarden.orchestration.deploy import deployment_specs
    from planwarden.orchestration.service import ServiceError
    from planwarden.orchestration.service import serve as serve_flows

    config = load()
    if list_:
        specs = [{"name": s.name, "cron": s.cron, "timezone": s.timezone, "plan": s.plan_key,
                  "flow": f"{s.job.module}:{s.job.flow}"} for s in deployment_specs(config)]
        if json:
            print_json(specs)
        else:
            for s in specs:
                print(f"{s['name']:<24} {s['cron']:<14} {s['timezone']:<16} {s['flow']}")
        return
    setup_logging("INFO")
    if not no_web:
        from planwarden.web.server import start_in_background
        start_in_background(config, web_host, web_port)
    try:
        serve_flows(config, port=port, limit=limit)
    except ServiceError as exc:
        raise UserError(str(exc)) from None
