"""The one deployment builder: what `planwarden serve`, `planwarden deploy`, deploy/ and
the tests register with Prefect.

Every plan gets one deployment per job (reminders, replies, board pack, calendar) on
the plan's schedules, and one Prefect global concurrency limit named for the plan
(``planwarden-plan-<key>``, one slot). Every flow holds the plan's slot while it works
(:func:`planwarden.orchestration.flowrun.plan_flow`), so two runs for one plan never
overlap, whichever deployment or worker starts them; different plans run side by side.

``serve`` runs the deployments in its own process; ``deploy`` registers them to a work
pool on any Prefect API, for ``process`` workers started in the planwarden checkout.
Prefect is imported lazily: the specs are plain data, testable without it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planwarden.core.config import Config

PLAN_LIMIT_PREFIX = "planwarden-plan-"
ROOT = Path(__file__).resolve().parents[2]  # the checkout holding flows/ and tasks/
# How a `process` worker starts each run: under Prefect's supervisor, which on SIGTERM
# (the worker's machine or container stopping) hands the run back to the pool, where
# another worker picks it up; `prefect` must be on the worker's PATH (its virtualenv).
WORKER_JOB: dict[str, Any] = {"command": "prefect flow-run execute",
              "env": {"PREFECT_FLOW_RUN_EXECUTE_SIGTERM_BEHAVIOR": "reschedule"}}


@dataclass(frozen=True)
class Job:
    name: str  # deployment name prefix
    module: str
    flow: str  # attribute of the module
    schedule: str  # attribute of PlanConfig.schedules
    description: str


JOBS = (
    Job("reminders", "planwarden.orchestration.flows.daily_reminders", "daily_reminders", "reminders", "due-date check and reminders"),
    Job("replies", "planwarden.orchestration.flows.collect_replies", "collect_replies", "replies", "collect owners' replies"),
    Job("board-pack", "planwarden.orchestration.flows.board_pack", "board_pack", "board_pack", "build and send the board pack when due"),
    Job("calendar", "planwarden.orchestration.flows.governance_calendar", "governance_calendar", "calendar",
        "send what changed in the governance calendar"),
    Job("outbox", "planwarden.orchestration.flows.outbox", "outbox", "outbox",
        "deliver due mail: retries after an outage or a crash"),
)


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment: a job for a plan on the plan's schedule (pure data)."""

    name: str
    job: Job
    plan_key: str  # "" for a batched deployment over ``plan_keys``
    cron: str
    timezone: str
    plan_keys: tuple[str, ...] = ()

    @property
    def parameters(self) -> dict[str, Any]:
        return {"plan_keys": list(self.plan_keys)} if self.plan_keys else {"plan_key": self.plan_key}

    @property
    def entrypoint(self) -> str:
        """The flow's file in the checkout, as in deploy/prefect.yaml."""
        return f"{self.job.module.replace('.', '/')}.py:{self.job.flow}"

    @property
    def tags(self) -> list[str]:
        return ["planwarden", f"plan:{self.plan_key or 'all'}", self.job.name]


def plan_limit(plan_key: str) -> str:
    """The name of the plan's global concurrency limit."""
    return f"{PLAN_LIMIT_PREFIX}{plan_key}"


def deployment_specs(config: Config) -> list[DeploymentSpec]:
    """One deployment per job per plan; with ``batch_reminders``, the reminders of every
    plan sharing a schedule come from one deployment instead (:func:`batched_reminders`)."""
    batched = config.settings.batch_reminders
    specs = [DeploymentSpec(f"{job.name}-{plan.key}", job, plan.key, getattr(plan.schedules, job.schedule),
                            plan.timezone)
             for plan in config.plans for job in JOBS if not (batched and job.name == "reminders")]
    return specs + batched_reminders(config) if batched else specs


def batched_reminders(config: Config) -> list[DeploymentSpec]:
    """``reminders-all``: one flow run computes many plans' reminders in one process (one
    transaction and one concurrency slot per plan, in turn), so a hundred partnerships cost
    a process start-up or two, not a hundred. Plans sharing a schedule and time zone are
    cut into deployments of ``batch_reminders_plans`` plans, so that several workers share
    a large morning; each further schedule gets deployments of its own. One deployment
    in all is ``reminders-all``; several are ``reminders-all-1``, ``reminders-all-2``, ..."""
    job = next(j for j in JOBS if j.name == "reminders")
    size = config.settings.batch_reminders_plans
    groups: dict[tuple[str, str], list[str]] = {}
    for plan in config.plans:
        groups.setdefault((plan.schedules.reminders, plan.timezone), []).append(plan.key)
    batches = [(cron, tz, tuple(keys[i:i + size])) for (cron, tz), keys in groups.items()
               for i in range(0, len(keys), size)]
    return [DeploymentSpec("reminders-all" + (f"-{n}" if len(batches) > 1 else ""), job, "", cron, tz, keys)
            for n, (cron, tz, keys) in enumerate(batches, start=1)]


def runner_deployment(spec: DeploymentSpec, *, work_pool: str | None = None, root: Path | None = None) -> Any:
    """The Prefect deployment for ``spec``: served in-process (no pool), or for a pool's
    workers, which run it from ``root`` (the planwarden checkout) on their machine."""
    from prefect.runner.storage import LocalStorage
    from prefect.schedules import Cron

    flow = getattr(importlib.import_module(spec.job.module), spec.job.flow)
    deployment = flow.to_deployment(
        name=spec.name, schedule=Cron(spec.cron, timezone=spec.timezone), parameters=spec.parameters,
        concurrency_limit=1, tags=spec.tags, work_pool_name=work_pool,
        job_variables={**WORKER_JOB, "env": dict(WORKER_JOB["env"])} if work_pool else None,
        description=f"planwarden {spec.job.description} for {_whose(spec)}")
    if work_pool:
        deployment.entrypoint = spec.entrypoint
        deployment.storage = LocalStorage(str(root or ROOT))  # pull step: set_working_directory
    return deployment


def _whose(spec: DeploymentSpec) -> str:
    return f"plans {', '.join(spec.plan_keys)}" if spec.plan_keys else f"plan {spec.plan_key}"


def build_deployments(config: Config, *, work_pool: str | None = None, root: Path | None = None,
                      jobs: tuple[str, ...] | None = None) -> list[Any]:
    """Every plan's deployments (only ``jobs``, by name, when given)."""
    return [runner_deployment(s, work_pool=work_pool, root=root) for s in deployment_specs(config)
            if jobs is None or s.job.name in jobs]


def ensure_plan_limits(config: Config) -> list[str]:
    """Create (or reset to one slot) each plan's global concurrency limit; returns the names."""
    from prefect.client.orchestration import get_client

    names = [plan_limit(p.key) for p in config.plans]
    with get_client(sync_client=True) as client:
        for name in names:
            client.upsert_global_concurrency_limit_by_name(name, 1)
    return names


def ensure_work_pool(name: str) -> None:
    """A ``process`` work pool named ``name`` (kept as it is when it exists)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    with get_client(sync_client=True) as client:
        try:
            client.create_work_pool(WorkPoolCreate(name=name, type="process"))
        except ObjectAlreadyExists:
            pass


@dataclass(frozen=True)
class Registered:
    deployments: list[str]
    limits: list[str]
    work_pool: str


def register(config: Config, *, work_pool: str = "planwarden", root: Path | None = None,
             jobs: tuple[str, ...] | None = None) -> Registered:
    """`planwarden deploy`: the work pool, the plans' concurrency limits and every
    deployment, registered to the Prefect API in PREFECT_API_URL. Safe to repeat:
    each is created or updated in place."""
    from planwarden.orchestration.secrets import load_secret_blocks

    load_secret_blocks(config)  # every block the config names exists on this Prefect API
    ensure_work_pool(work_pool)
    limits = ensure_plan_limits(config)
    names = []
    for spec in deployment_specs(config):
        if jobs is not None and spec.job.name not in jobs:
            continue
        deployment = runner_deployment(spec, work_pool=work_pool, root=root)
        deployment.apply(work_pool_name=work_pool)
        names.append(f"{deployment.flow_name}/{spec.name}")
    return Registered(names, limits, work_pool)
