"""planwarden deploy [--pool NAME] [--root DIR] [--json]"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from planwarden.cli.common import Json, UserError, load, print_json


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy)


def deploy(pool: Annotated[str, typer.Option("--pool", help="Work pool name.")] = "planwarden",
           root: Annotated[Path | None, typer.Option(
               "--root", help="The planwarden checkout on the workers' machines (default: this one).")] = None,
           json: Json = False) -> None:
    """Register every plan's deployments, concurrency limits and a process work pool with the
    Prefect server in PREFECT_API_URL."""
    from planwarden.orchestration.deploy import register as register_all

    if not os.environ.get("PREFECT_API_URL"):
        raise UserError("PREFECT_API_URL is not set: point it at the Prefect server the workers use "
                        "(for one machine, `planwarden serve` needs no deploy step)")
    done = register_all(load(), work_pool=pool, root=root)
    if json:
        print_json({"work_pool": done.work_pool, "deployments": done.deployments, "limits": done.limits})
        return
    print(f"work pool {done.work_pool}: {len(done.deployments)} deployments, "
          f"{len(done.limits)} plan concurrency limits")
    for name in done.deployments:
        print(f"  {name}")
