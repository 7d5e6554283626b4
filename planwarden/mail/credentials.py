"""Where a transport's credentials come from: an environment variable (``*_env``) or a
Prefect Secret block (``*_block``).

mail/ sits below orchestration/ and never imports Prefect (tests/test_architecture.py):
the orchestration layer loads every block the config names when a flow run or `serve`
starts (planwarden.orchestration.secrets) and hands the values over with
:func:`provide_block_values`. Transports then ask :func:`credential` and get a plain
string, whichever source it came from. A block named in the config but never provided
(planwarden run outside Prefect, e.g. a bare CLI command) is an error naming the key and
the block, never a silent fallback to the environment.

Values are kept in this process's memory only; no message built here contains one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

_blocks: dict[str, str] = {}


class CredentialMissing(Exception):
    """A named credential is not available; the message names the key and its source."""


def provide_block_values(values: Mapping[str, str]) -> None:
    """Secret block name -> value, loaded by the orchestration layer."""
    _blocks.update(values)


def forget_block_values() -> None:
    """Drop every provided value (tests; a process that stops running flows)."""
    _blocks.clear()


def credential(*, env: str | None, block: str | None, key: str) -> str | None:
    """The value from the block when one is named, else from the environment variable
    (``None`` when the variable is unset or none is named). ``key`` is the config key
    (``mail.smtp.password_block``) named in the error."""
    if block:
        if block not in _blocks:
            raise CredentialMissing(f"{key} = {block!r}: that Prefect Secret block was not loaded; Secret blocks are "
                                    "read when a Prefect flow run or `planwarden serve` starts")
        return _blocks[block]
    return os.environ.get(env) if env else None


def source(env: str | None, block: str | None) -> str:
    """Where a credential comes from, for error messages: ``$VAR`` or ``Secret block 'x'``."""
    return f"Secret block {block!r}" if block else f"${env}"


def login(settings: Any, section: str, missing: type[Exception]) -> tuple[str, str]:
    """(user, password) for ``[mail.<section>]`` from the environment or Secret blocks; else
    ``missing`` (the transport's or mailbox's "unavailable" error) naming where to set them."""
    label = section.upper()
    try:
        user = credential(env=settings.username_env, block=settings.username_block,
                          key=f"mail.{section}.username_block")
        password = credential(env=settings.password_env, block=settings.password_block,
                              key=f"mail.{section}.password_block")
    except CredentialMissing as exc:
        raise missing(f"{label} credentials missing: {exc}") from None
    if not user or password is None:
        unset = [source(settings.username_env, settings.username_block)] if not user else []
        unset += [source(settings.password_env, settings.password_block)] if password is None else []
        raise missing(f"{label} credentials missing: set {' and '.join(unset)}")
    return user, password
