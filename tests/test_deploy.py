"""deploy/ cannot run here (no Docker engine, no systemd), so it is validated instead:
every deployment points at a real flow with a valid schedule, matches what
`planwarden serve` deploys, and no secret is written into a file."""

from __future__ import annotations

import configparser
import importlib
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from planwarden.core.config import load_config
from planwarden.orchestration.deploy import WORKER_JOB, deployment_specs

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "examples" / "jtai" / "planwarden.toml"


def _prefect_yaml() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "prefect.yaml").read_text())


def test_prefect_yaml_matches_what_serve_deploys() -> None:
    from prefect.client.schemas.schedules import CronSchedule

    declared = {d["name"]: d for d in _prefect_yaml()["deployments"]}
    specs = deployment_specs(load_config(EXAMPLE))
    assert set(declared) == {s.name for s in specs}
    for spec in specs:
        dep = declared[spec.name]
        assert dep["entrypoint"] == spec.entrypoint and set(dep["tags"]) >= set(spec.tags)
        path, func = dep["entrypoint"].split(":")
        flow = getattr(importlib.import_module(spec.job.module), func)
        assert "plan_key" in flow.parameters.properties, f"{func} must take plan_key"
        (schedule,) = dep["schedules"]
        CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])  # raises if invalid
        assert (schedule["cron"], schedule["timezone"]) == (spec.cron, spec.timezone)
        assert dep["work_pool"]["name"] == "planwarden"
        assert dep["work_pool"]["job_variables"] == WORKER_JOB


def test_compose_file_is_complete_and_holds_no_secrets() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "prefect-server", "worker"} <= set(services)
    assert "postgresql+asyncpg" in services["prefect-server"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    text = (DEPLOY / "docker-compose.yml").read_text()
    for line in text.splitlines():
        if re.search(r"(PASSWORD|SECRET)\s*:", line):
            assert "${" in line, f"a secret written into docker-compose.yml: {line.strip()}"


@pytest.mark.parametrize("unit", ["planwarden.service", "planwarden-worker.service"])
def test_systemd_units_are_well_formed(unit: str) -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / "systemd" / unit)
    assert {"Unit", "Service", "Install"} <= set(parser.sections())
    assert parser["Service"]["ExecStart"].startswith("/opt/planwarden/.venv/bin/")
    assert parser["Service"]["Restart"] == "on-failure"
    assert "PASSWORD" not in (DEPLOY / "systemd" / unit).read_text().replace("passwords", "")


def test_prefect_deploy_command_exists_in_this_prefect() -> None:
    exe = Path(sys.executable).parent / "prefect"
    out = subprocess.run([str(exe), "deploy", "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "--prefect-file" in out.stdout


def test_batched_reminders_replace_the_per_plan_ones_one_deployment_per_schedule(tmp_path: Path) -> None:
    plans = [("a", "Europe/London"), ("b", "Europe/London"), ("c", "Europe/Dublin")]
    text = "batch_reminders = true\n" + "".join(
        f'[[plans]]\nkey = "{k}"\ntimezone = "{tz}"\n' for k, tz in plans)
    (tmp_path / "planwarden.toml").write_text(text)
    specs = deployment_specs(load_config(tmp_path / "planwarden.toml"))
    reminders = [s for s in specs if s.job.name == "reminders"]
    assert [(s.name, s.plan_keys, s.timezone) for s in reminders] == [
        ("reminders-all-1", ("a", "b"), "Europe/London"), ("reminders-all-2", ("c",), "Europe/Dublin")]
    assert reminders[0].parameters == {"plan_keys": ["a", "b"]} and "plan:all" in reminders[0].tags
    assert {s.name for s in specs} >= {"replies-a", "board-pack-c", "outbox-b"}  # the other jobs stay per plan
    (tmp_path / "planwarden.toml").write_text(text.replace("\n", "\nbatch_reminders_plans = 1\n", 1))
    split = [s for s in deployment_specs(load_config(tmp_path / "planwarden.toml")) if s.job.name == "reminders"]
    assert [(s.name, s.plan_keys) for s in split] == [  # so that the workers share a large morning
        ("reminders-all-1", ("a",)), ("reminders-all-2", ("b",)), ("reminders-all-3", ("c",))]
