"""What every scheduled flow does around its work: load the config once for the whole
run, hold the plan's concurrency slot, and record the run for `planwarden status`.

The slot is a Prefect global concurrency limit named for the plan (created by
`planwarden deploy` / `serve`, see deploy.py). It is taken before the run is recorded,
so two runs for one plan never overlap, whichever deployment or worker started them.
A run whose process is killed gives its slot back: by the exception path on SIGTERM,
by the lease running out (``LEASE_SECONDS``) on SIGKILL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from planwarden.core.config import Config, load_config
from planwarden.orchestration.deploy import plan_limit
from planwarden.orchestration.secrets import load_secret_blocks

LEASE_SECONDS = 60.0
_config: ContextVar[Config | None] = ContextVar("planwarden_flow_config", default=None)


@dataclass
class FlowRunScope:
    config: Config
    summary: dict[str, Any]  # recorded with the run when it ends


def flow_config() -> Config:
    """The config of the flow run in progress (loaded once, by the flow); tasks run
    outside a flow load their own."""
    return _config.get() or load_config()


@contextlib.contextmanager
def plan_flow(plan_key: str | None, job: str, *, hold_slot: bool = True) -> Iterator[FlowRunScope]:
    """Config loaded once, the plan's slot held (every plan's, when no plan is named;
    not for delivery, which is safe beside anything), the run recorded."""
    from planwarden.orchestration.runs import recorded_run

    config = load_config()
    keys = [plan_key] if plan_key else [p.key for p in config.plans]
    load_secret_blocks(config, keys)  # a missing block stops the run here, naming key and block
    token = _config.set(config)
    try:
        with plan_slots(keys if hold_slot else []), recorded_run(config.database_url, plan_key or "", job) as summary:
            yield FlowRunScope(config, summary)
    finally:
        _config.reset(token)


@contextlib.contextmanager
def plan_turn(config: Config, plan_key: str, job: str) -> Iterator[dict[str, Any]]:
    """One plan's share of a run over many plans (``reminders-all``): its slot held and
    its run recorded only while its share is done, so per-plan runs (a board pack, a
    retry) wait minutes at most, and `planwarden status` shows the plan's own last run."""
    from planwarden.orchestration.runs import recorded_run

    with plan_slots([plan_key]), recorded_run(config.database_url, plan_key, job) as summary:
        yield summary


@contextlib.contextmanager
def plan_slots(plan_keys: list[str]) -> Iterator[None]:
    """Hold one slot of each plan's limit. Where no limit exists (a flow called outside
    `serve`/`deploy`, as in unit tests), Prefect lets the run through."""
    if not plan_keys:
        yield
        return
    from prefect.concurrency.sync import concurrency

    with concurrency([plan_limit(k) for k in plan_keys], occupy=1, lease_duration=LEASE_SECONDS, strict=False):
        yield
