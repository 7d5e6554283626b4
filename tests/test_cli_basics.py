"""The command line as people and scripts meet it: fast start, clear errors, current docs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from planwarden.cli import main
from planwarden.core.configref import render_reference

REPO = Path(__file__).resolve().parents[1]


def test_configuration_reference_in_docs_is_current() -> None:
    committed = (REPO / "docs" / "configuration-reference.md").read_text()
    assert committed.strip() == render_reference().strip(), "run: planwarden config-reference > docs/configuration-reference.md"


def test_commands_that_run_no_flow_do_not_import_prefect() -> None:
    code = ("import sys; from planwarden.cli import main; main(['actions', '--json']); "
            "assert 'prefect' not in sys.modules, 'prefect imported'; "
            "assert 'weasyprint' not in sys.modules, 'weasyprint imported'")
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert time.perf_counter() - started < 5  # generous on a loaded CI machine; typical ~0.5 s


def test_misspelt_config_key_stops_with_file_key_and_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "planwarden.toml"
    cfg.write_text('[mail]\ntransprot = "smtp"\n')
    monkeypatch.setenv("PLANWARDEN_CONFIG", str(cfg))
    assert main(["actions"]) == 2
    err = capsys.readouterr().err
    assert str(cfg) in err and "mail.transprot" in err and "unknown key" in err
    assert "Traceback" not in err


def test_unreachable_database_is_one_clear_line(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PLANWARDEN_DATABASE_URL", "postgresql://pw:topsecret@127.0.0.1:1/none")
    assert main(["actions"]) == 3
    err = capsys.readouterr().err
    assert "cannot reach the database" in err and "topsecret" not in err and "Traceback" not in err
