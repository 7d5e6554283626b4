"""Structured logs with email addresses and secrets redacted.

Operators ship these logs to shared systems; an owner's address or a password must
never reach them. Redaction happens in the formatter, so it also covers messages
written by libraries (exchangelib, httpx) through the standard logging module.
"""

from __future__ import annotations

import json
import logging
import os
import re
from typing import Any

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+):[^@\s]*@")
_SECRET_ASSIGN = re.compile(r"(?i)\b(password|passwd|secret|token|api[_-]?key|authorization)(\s*[=:]\s*)(\S+)")
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+")
SECRET_ENV_HINTS = ("PASSWORD", "SECRET", "TOKEN", "KEY")


def redact(text: str) -> str:
    """Addresses become ``p***@example.org``; passwords, tokens and known secret values vanish."""
    text = _URL_PASSWORD.sub(r"\1:***@", text)
    text = _BEARER.sub("Bearer ***", text)
    text = _SECRET_ASSIGN.sub(r"\1\2***", text)
    for value in _secret_values():
        text = text.replace(value, "***")
    return _EMAIL.sub(r"\1***@\2", text)


def _secret_values() -> list[str]:
    """Values of environment variables that look like secrets (at least 6 characters)."""
    return [v for k, v in os.environ.items()
            if any(h in k.upper() for h in SECRET_ENV_HINTS) and len(v) >= 6 and not k.startswith("PREFECT_")]


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any ``extra`` fields."""

    _SKIP = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
                                "level": record.levelname, "logger": record.name,
                                "message": record.getMessage()}
        data.update({k: v for k, v in vars(record).items() if k not in self._SKIP})
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return redact(json.dumps(data, default=str, ensure_ascii=False))


_installed = False


def install_redaction() -> None:
    """Redact every log record as it is created, whoever handles it afterwards.

    Inside flow runs Prefect's own handlers (console, API) format the records, not ours;
    redacting at creation is what keeps addresses and secrets out of those too.
    """
    global _installed
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            record.msg, record.args = redact(record.getMessage()), ()
        except Exception:  # noqa: BLE001 - a malformed log call must not break the caller
            pass
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def setup_logging(level: str | None = None, fmt: str | None = None) -> None:
    """Configure the root logger once: PLANWARDEN_LOG_LEVEL, PLANWARDEN_LOG_FORMAT=json|text."""
    level = level or os.environ.get("PLANWARDEN_LOG_LEVEL", "WARNING")
    fmt = fmt or os.environ.get("PLANWARDEN_LOG_FORMAT", "text")
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else
                         RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)
