"""planwarden status [--json]"""

from __future__ import annotations

import typer

from planwarden.cli.common import Json
from planwarden.cli.output import print_status


def register(app: typer.Typer) -> None:
    app.command("status")(status)


def status(json: Json = False) -> None:
    """Per plan: last run of each job, outbox queue and failures, quarantined replies, next board date."""
    from planwarden.core import quickconfig
    from planwarden.core.db import session_scope
    from planwarden.orchestration.status import FACTS, FACTS_CODE, status as plan_status, status_facts

    stamp = quickconfig.settings_stamp(FACTS_CODE)  # before loading: facts are filed under what was loaded
    config = quickconfig.validated_config()
    with session_scope(config.database_url) as session:
        plans = plan_status(session, config)
    quickconfig.remember(stamp, FACTS, status_facts(config))  # so the next `status` takes the fast path
    print_status(plans, json)
