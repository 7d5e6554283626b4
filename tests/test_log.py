"""Logs never carry an owner's address or a secret."""

from __future__ import annotations

import json
import logging

import pytest

from planwarden.core.log import JsonFormatter, RedactingFormatter, redact


def test_addresses_and_url_passwords_are_redacted() -> None:
    line = redact("sent to sam.littlewood@example.org via postgresql://pw:hunter22@db/x")
    assert "sam.littlewood" not in line and "hunter22" not in line
    assert "s***@example.org" in line


def test_secret_environment_values_never_appear(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANWARDEN_SMTP_PASSWORD", "correct-horse-battery")
    record = logging.LogRecord("smtp", logging.ERROR, __file__, 1, "login failed with %s",
                               ("correct-horse-battery",), None)
    assert "correct-horse-battery" not in RedactingFormatter("%(message)s").format(record)
    data = json.loads(JsonFormatter().format(record))
    assert data["message"] == "login failed with ***"


def test_bearer_tokens_are_redacted() -> None:
    line = redact("Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi")
    assert "eyJ0" not in line and line.startswith("Authorization: ***")


def test_records_are_redacted_for_any_handler(caplog: pytest.LogCaptureFixture) -> None:
    """Prefect's handlers format records themselves; they must get them redacted already."""
    with caplog.at_level(logging.INFO, logger="planwarden.test"):
        logging.getLogger("planwarden.test").info("reminder to %s", "sam.littlewood@example.org")
    assert "sam.littlewood" not in caplog.text and "s***@example.org" in caplog.text
