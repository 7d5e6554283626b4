"""The wheel is complete: installed into a fresh environment, away from the checkout,
`planwarden demo` finds its email and pack templates and its example plan."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kwargs)  # type: ignore[call-overload]


@pytest.mark.slow
def test_wheel_installed_elsewhere_runs_the_demo(tmp_path: Path) -> None:
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(REPO)])
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("planwarden-*.whl"))
    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", "--without-pip", str(venv)]).returncode == 0
    python = venv / "bin" / "python"
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip())
    # The dependencies come from this environment's site-packages (added as a plain path, so
    # its editable-install hook for the checkout is not run); planwarden itself from the wheel.
    (purelib / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n" + "\n".join(site.getsitepackages()) + "\n")
    installed = _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)])
    assert installed.returncode == 0, installed.stderr

    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANWARDEN_") and k != "PYTHONPATH"}
    where = _run([str(python), "-c", "import planwarden; print(planwarden.__file__)"], cwd=tmp_path, env=env)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout + where.stderr
    demo = _run([str(venv / "bin" / "planwarden"), "demo", "--dir", "demo"], cwd=tmp_path, env=env)
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    outbox = list((tmp_path / "demo" / "data" / "outbox").glob("*.eml"))
    assert outbox and any(b"Reminder" in p.read_bytes() or b"overdue" in p.read_bytes() for p in outbox)
    assert (tmp_path / "demo" / "pack" / "jtai-board-pack-2022-12-31.pdf").read_bytes().startswith(b"%PDF")
